"""SMS providers: the only code that talks to an SMS API."""

from .base import Inbound, OutboundSms, Provider, Receipt, SendResult, WebhookError


def create(config, report):
    """The provider named by ``CRM_SMS_PROVIDER``; ``report`` carries the simulator's callbacks."""
    setting = lambda key: config["CRM_SMS_" + key]  # noqa: E731
    if setting("PROVIDER") == "vonage":
        from .vonage import VonageProvider

        return VonageProvider(
            api_key=setting("VONAGE_API_KEY"),
            api_secret=setting("VONAGE_API_SECRET"),
            signature_secret=setting("VONAGE_SIGNATURE_SECRET"),
            signature_method=setting("VONAGE_SIGNATURE_METHOD"),
            rest_host=setting("VONAGE_REST_HOST"),
            timeout=setting("VONAGE_TIMEOUT"),
        )
    from .simulator import SimulatorProvider

    return SimulatorProvider(
        report,
        delay=setting("SIMULATOR_DELAY"),
        fail_numbers=setting("SIMULATOR_FAIL_NUMBERS"),
        reply=setting("SIMULATOR_REPLY"),
    )


__all__ = ["Inbound", "OutboundSms", "Provider", "Receipt", "SendResult", "WebhookError", "create"]
