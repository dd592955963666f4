"""The crm CSV import CLI against a real SQLite database (migrated like production)."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from services.common.migrate import upgrade
from services.common.outbox import OUTBOX
from services.crm.importer import main, run
from services.crm.models import Customer, CustomerTag, Vehicle
from tests.support import data

HEADER = ("name,mobile,gender,birthday,home_store_id,source,tags,marketing_consent,notes,"
          "plate,vin,make,model,year,color,mileage_km\n")


@pytest.fixture
def database(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    upgrade("crm", url)
    return url


def count(url, model) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(select(func.count()).select_from(model)).scalar()
    engine.dispose()
    return value


def write(tmp_path: Path, text: str, encoding="utf-8") -> Path:
    path = tmp_path / "customers.csv"
    path.write_text(text, encoding=encoding)
    return path


def test_good_rows_go_in_bad_rows_are_reported_by_line_and_a_rerun_changes_nothing(tmp_path, database):
    shared_plate = data.plate()
    m1, m2, m3 = data.mobile(), data.mobile(), data.mobile()
    csv_text = HEADER + "".join([
        f"张伟,{m1},male,1985-04-12,s1,walk_in,vip;老客户,是,,{data.plate()},{data.vin()},丰田,卡罗拉,2019,白,52000\n",
        f"张伟,{m1},,,,,,,,{data.plate()},,,,,,\n",                  # second car of the same customer
        "李娜,12345,female,,,,,1,,,,,,,,\n",                        # line 4: bad mobile
        f"王芳,{m2},female,1990-02-30,,,,0,,,,,,,,\n",               # line 5: bad date
        f'赵六,{m3},,,,,,yes,"多行\n备\n注",{shared_plate},,,,,,\n',  # lines 6-8: quoted newlines are fine
        f"钱七,{data.mobile()},,,,,,,,{shared_plate},,,,,,\n",        # line 9: plate belongs to 赵六
        f"孙八,{data.mobile()},,,,,,maybe,,,,,,,,\n",                 # line 10: consent not yes/no
    ])
    path = write(tmp_path, csv_text)
    out, err = io.StringIO(), io.StringIO()
    assert run(path, database, store_id="s9", out=out, err=err, batch=2, errors_path=tmp_path / "bad.csv") == 2
    report = err.getvalue()
    assert "line 4: mobile" in report and "line 5: birthday" in report
    assert "line 9: plate or VIN already registered" in report and "line 10: marketing_consent" in report
    assert [row.split(",")[0] for row in (tmp_path / "bad.csv").read_text().splitlines()[1:]] == ["4", "5", "9", "10"]
    assert count(database, Customer) == 2 and count(database, Vehicle) == 3 and count(database, CustomerTag) == 2
    assert count(database, OUTBOX) == 5  # 2 customers + 3 vehicles announced
    engine = create_engine(database)
    with engine.connect() as conn:
        first = conn.execute(select(Customer.name, Customer.home_store_id, Customer.marketing_consent)
                             .where(Customer.mobile == m1)).one()
        multiline = conn.execute(select(Customer.notes).where(Customer.mobile == m3)).scalar()
    engine.dispose()
    assert tuple(first) == ("张伟", "s1", True) and multiline == "多行\n备\n注"

    rerun = io.StringIO()
    assert run(path, database, out=rerun, err=io.StringIO(), batch=3) == 2
    assert "customers created: 0" in rerun.getvalue() and "vehicles created: 0" in rerun.getvalue()
    assert count(database, Customer) == 2 and count(database, Vehicle) == 3 and count(database, OUTBOX) == 5


def test_an_existing_customer_is_reused_not_overwritten(tmp_path, database):
    mobile = data.mobile()
    run(write(tmp_path, HEADER + f"原名,{mobile},,,,,,,,,,,,,,\n"), database, out=io.StringIO(), err=io.StringIO())
    plate = data.plate()
    path = write(tmp_path, HEADER + f"新名,{mobile},,,,,,,,{plate},,,,,,\n")
    assert run(path, database, out=io.StringIO(), err=io.StringIO(), events=False) == 0
    engine = create_engine(database)
    with engine.connect() as conn:
        name = conn.execute(select(Customer.name).where(Customer.mobile == mobile)).scalar()
        owner = conn.execute(select(Vehicle.customer_id).where(Vehicle.plate == plate)).scalar()
    engine.dispose()
    assert name == "原名" and owner is not None and count(database, OUTBOX) == 1


def test_a_file_without_the_required_columns_is_refused(tmp_path, database, capsys):
    path = write(tmp_path, "name,phone\n张伟,13800001111\n")
    assert main([str(path), "--database-url", database]) == 1
    assert "lacks mobile" in capsys.readouterr().err


def test_gbk_files_from_excel_are_read_with_the_encoding_option(tmp_path, database):
    path = write(tmp_path, HEADER + f"张伟,{data.mobile()},,,,,,,,,,,,,,\n", encoding="gbk")
    err = io.StringIO()
    assert run(path, database, out=io.StringIO(), err=err) == 1 and "--encoding gbk" in err.getvalue()
    assert run(path, database, out=io.StringIO(), err=io.StringIO(), encoding="gbk") == 0
    assert count(database, Customer) == 1
