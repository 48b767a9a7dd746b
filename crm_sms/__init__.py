"""crm_sms: SMS for a CRM, as a Flask extension.

from crm_sms import CrmSms
CrmSms(app)

crm_sms.trigger("payment.received", contact=contact, key=f"payment-{payment.id}")
"""

from .extension import CrmSms, state
from .host import Host, Phone
from .services.triggers import fire as trigger

__all__ = ["CrmSms", "Host", "Phone", "state", "trigger"]
