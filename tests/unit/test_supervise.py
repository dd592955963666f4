"""`make run`'s process set: deploy/supervise.py's supervisord configuration from the Procfile, and
the banner the demo prints."""
from __future__ import annotations

import configparser
from pathlib import Path

from deploy import demo, supervise
from services.common.config import SERVICES


def test_every_procfile_process_is_restarted_when_it_dies_except_the_one_shot_demo(tmp_path):
    conf = configparser.ConfigParser(interpolation=None)
    conf.read_string(supervise.supervisord_conf(tmp_path))
    programs = {section.split(":", 1)[1]: conf[section] for section in conf.sections()
                if section.startswith("program:")}
    assert list(programs) == [*SERVICES, "wechatpay", "alipay", "messaging", "nuonuo", "health_record", "gateway",
                              "customer-gateway", "stream", "front", "webhooks", "demo"] \
        == list(supervise.programs())
    for name in (*SERVICES, "wechatpay", "alipay", "messaging", "nuonuo", "health_record", "gateway",
                 "customer-gateway", "stream", "front", "webhooks"):
        assert programs[name]["autorestart"] == "true" and int(programs[name]["startretries"]) >= 10
        assert programs[name]["stopasgroup"] == "true" and programs[name]["stdout_logfile"] == "/dev/stdout"
    assert programs["demo"]["autorestart"] == "false"
    assert programs["sales"]["command"] == "python -m services.common.runner sales"
    assert programs["customer-gateway"]["command"] == \
        "gunicorn -c deploy/gunicorn_customer.conf.py gateway.wsgi:app"
    assert conf["supervisord"]["nodaemon"] == "true"
    assert Path(conf["unix_http_server"]["file"]).parent == tmp_path.resolve()


def test_the_start_banner_names_the_console_and_the_demo_logins():
    text = demo.banner("http://127.0.0.1:8080")
    assert "http://127.0.0.1:8080/console/" in text and "advisor.gz-th" in text and "demo1234" in text
