"""An expected unique conflict rolls back its savepoint alone: the unit of work goes on."""
from __future__ import annotations

import pytest
from sqlalchemy import String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from services.common.db import make_engine, service_metadata, unique_or_conflict
from services.common.errors import Conflict


class Base(DeclarativeBase):
    metadata = service_metadata()


class Member(Base):
    __tablename__ = "members"
    id: Mapped[str] = mapped_column(String(8), primary_key=True)
    mobile: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(20))


TAKEN = {"mobile": "This mobile is taken."}


@pytest.fixture
def session(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'uow.db'}")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def test_a_duplicate_is_a_conflict_and_the_transaction_goes_on(session):
    session.add(Member(id="a", mobile="138", name="first"))
    session.flush()
    with pytest.raises(Conflict) as refused:
        with unique_or_conflict(session, TAKEN, {"mobile": "mobile_taken"}):
            session.add(Member(id="b", mobile="138", name="second"))
    assert refused.value.code == "mobile_taken" and refused.value.fields == {"mobile": [TAKEN["mobile"]]}
    with unique_or_conflict(session, TAKEN):
        session.add(Member(id="c", mobile="139", name="third"))
    session.commit()
    assert session.scalars(select(Member.id).order_by(Member.id)).all() == ["a", "c"]


def test_an_update_that_collides_is_undone_alone(session):
    session.add_all([Member(id="a", mobile="138", name="first"), Member(id="b", mobile="139", name="second")])
    session.flush()
    member = session.get(Member, "b")
    with pytest.raises(Conflict) as refused:
        with unique_or_conflict(session, TAKEN):
            member.mobile = "138"
    assert refused.value.code == "conflict"
    assert session.get(Member, "b").mobile == "139"


def test_another_integrity_error_is_not_a_conflict(session):
    with pytest.raises(IntegrityError):
        with unique_or_conflict(session, TAKEN):
            session.add(Member(id="a", mobile="138", name=None))
