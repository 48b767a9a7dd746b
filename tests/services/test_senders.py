"""The sender rule: who may send from which number (manual sends, drafts, replies, campaigns, triggers)."""

import pytest

from crm_sms.models import db
from crm_sms.services import senders


@pytest.fixture
def people(make_user, make_contact):
    staff = {
        name: make_user(name, role)
        for name, role in [("grace", "agent"), ("alan", "agent"), ("mona", "manager"), ("root", "admin")]
    }
    return {**staff, "casey": make_user("casey", "customer", contact=make_contact("Casey", "Customer"))}


@pytest.fixture
def numbers(make_sender, people):
    return {"shared": make_sender("+16285550100"), "grace's": make_sender("+16285550111", user=people["grace"])}


@pytest.mark.parametrize(
    "user, number, allowed",
    [
        ("grace", "shared", True),
        ("grace", "grace's", True),
        ("alan", "shared", True),
        ("alan", "grace's", False),
        ("mona", "shared", True),
        ("mona", "grace's", False),
        ("root", "shared", True),
        ("root", "grace's", False),
        ("casey", "shared", False),
        ("casey", "grace's", False),
        (None, "shared", True),
        (None, "grace's", False),
    ],
)
def test_an_own_line_serves_its_owner_alone_and_a_shared_one_everyone_who_sends(people, numbers, user, number, allowed):
    assert senders.may_send_from(people.get(user), numbers[number]) is allowed


def test_an_inactive_number_serves_nobody(people, numbers):
    numbers["shared"].active = False
    db.session.commit()
    assert not senders.may_send_from(people["grace"], numbers["shared"])
    assert numbers["shared"] not in senders.for_user(people["grace"])


def test_the_choices_offered_are_the_numbers_the_rule_allows(people, numbers):
    assert senders.for_user(people["grace"]) == [numbers["grace's"], numbers["shared"]]
    assert senders.for_user(people["alan"]) == [numbers["shared"]]
    assert senders.for_user(None) == [numbers["shared"]]
