"""Accounts: companies or households that contacts and numbers belong to."""

from sqlalchemy import or_

from ...models import db
from ...services.search import digits_of
from ..models import Account, PhoneNumber


def search(query=None, type=None):
    """A select of accounts matching ``query`` (name, city, email or phone digits), by name."""
    stmt = db.select(Account)
    if query:
        conditions = [
            Account.name.icontains(query, autoescape=True),
            Account.city.icontains(query, autoescape=True),
            Account.email.icontains(query, autoescape=True),
        ]
        digits = digits_of(query)
        if digits:
            conditions.append(
                Account.id.in_(
                    db.select(PhoneNumber.account_id).where(PhoneNumber.e164.contains(digits, autoescape=True))
                )
            )
        stmt = stmt.where(or_(*conditions))
    if type:
        stmt = stmt.where(Account.type == type)
    return stmt.order_by(Account.name, Account.id)


def save(account, **fields):
    """Create (``account`` None) or update an account from form fields."""
    if account is None:
        account = Account()
        db.session.add(account)
    for name, value in fields.items():
        setattr(account, name, value)
    db.session.flush()
    return account
