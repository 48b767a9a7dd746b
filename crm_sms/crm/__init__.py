"""The built-in CRM: the host crm_sms uses when the app brings none (its tables have their own history)."""
