"""A contact or an account: what phone numbers, messages and consent belong to."""

from .contact import Contact


def kind_of(owner):
    """ "contacts" or "accounts": the module an owner belongs to (URLs, variables, templates)."""
    return "contacts" if isinstance(owner, Contact) else "accounts"


def owner_fields(owner):
    """The keyword that ties a new row to its owner: {"contact": c}, {"account": a}, or {} for none."""
    if owner is None:
        return {}
    return {"contact": owner} if isinstance(owner, Contact) else {"account": owner}
