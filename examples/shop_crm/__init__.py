"""Shop CRM: a small Flask CRM of its own (customers, companies, sales users) that adds SMS with crm_sms.

Everything SMS is in ``host.py`` (the adapter), one ``CrmSms(...)`` line in ``app.py``,
the nav macro in ``templates/base.html`` and ``{{ sms_panel(record) }}`` in the record pages.
"""
