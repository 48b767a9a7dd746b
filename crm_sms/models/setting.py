from .base import db


class Setting(db.Model):
    """A setting an admin changes at run time (quiet hours, texts...); defaults live in services.settings."""

    __tablename__ = "crm_sms_settings"

    key = db.Column(db.String(64), primary_key=True)
    value = db.Column(db.JSON, nullable=False)

    def __repr__(self):
        return f"<Setting {self.key}={self.value!r}>"
