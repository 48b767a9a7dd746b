"""The built-in CRM as a host: the same seam a host CRM implements.

# placeholder: records part merges the record methods here (contact_model, name, url, phones, ...)
"""

from ..host import Host
from ..models import User, db

#: The roles whose users may be given conversations and sender numbers.
STAFF_ROLES = ("admin", "manager", "agent")


class BuiltinHost(Host):
    user_model = User

    def role(self, user):
        return user.role

    def contact_of(self, user):
        return user.contact

    def user_name(self, user):
        return user.username

    def staff(self):
        return db.session.scalars(
            db.select(User).where(User.role.in_(STAFF_ROLES), User.active.is_(True)).order_by(User.username)
        ).all()
