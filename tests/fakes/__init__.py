"""Local stand-ins for the outside services crm_sms talks to."""
