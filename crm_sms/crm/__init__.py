"""The built-in CRM: crm_sms's own users, login, contacts and accounts, served through the host seam.

``CrmSms(app)`` with no host uses it. Nothing outside ``crm_sms/crm/`` may import its models; its tables have
their own migration history (``crm_sms/crm/migrations``).
"""

from .host import BuiltinHost

__all__ = ["BuiltinHost"]
