"""crm_sms: SMS for a CRM, as a Flask extension.

    from crm_sms import CrmSms
    CrmSms(app)
"""

from .extension import CrmSms, state

__all__ = ["CrmSms", "state"]
