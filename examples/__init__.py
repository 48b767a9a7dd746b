"""Example host CRMs that add SMS with crm_sms through its documented steps only."""
