"""Departments: who answers; signatures quote their phone and email."""

from ..models import Department, db
from . import phone_numbers


class DepartmentError(ValueError):
    pass


def save(department, name, phone=None, email=None):
    """Create (``department`` None) or update a department; its phone must be a valid number."""
    name = (name or "").strip()
    if not name:
        raise DepartmentError("A department needs a name.")
    clash = db.session.scalar(db.select(Department).where(Department.name == name))
    if clash is not None and clash is not department:
        raise DepartmentError(f"There is already a department called {name!r}.")
    e164 = phone_numbers.parse(phone)[0] if phone else None
    if department is None:
        department = Department()
        db.session.add(department)
    department.name, department.phone, department.email = name, e164, email or None
    db.session.flush()
    return department


def all_departments():
    return db.session.scalars(db.select(Department).order_by(Department.name)).all()
