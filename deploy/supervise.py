"""`make run`'s process manager: every line of deploy/Procfile as a supervisord program.

A process that dies (a crash, `kill -9`) is restarted at once, and one that keeps dying while
starting is retried with a growing delay (supervisord's backoff: 1 s, 2 s, 3 s … for
`START_RETRIES` tries); the others keep serving meanwhile, and the gateway's `/readyz` names the
one that is down. The demo seed runs once. WeChat Pay is the local sandbox (deploy/sandboxes/wechatpay.py)
unless `WECHATPAY_MCHID` names a real merchant, Alipay its sandbox (deploy/sandboxes/alipay.py) unless
`ALIPAY_APPID` names a real app; SMS and WeChat notices go to deploy/sandboxes/messaging.py unless
`ALIYUN_SMS_ACCESS_KEY_ID` names a real account; fapiao are issued by the 诺诺 sandbox
(deploy/sandboxes/nuonuo.py) unless `NUONUO_APP_KEY` names a real app, and repair health records go to
deploy/sandboxes/health_record.py unless `HEALTH_RECORD_BASE_URL` names a province's system. With a payment
sandbox and no `PROVIDER_KEYS_DIR` of one's own, the demo's 深圳南山店 (`demo.OWN_ACCOUNTS_STORE`) gets keys files
under DATA_DIR/store-accounts (PROVIDER_KEYS_DIR): a WeChat Pay sub-merchant, an Alipay authorization and (with
the messaging sandbox) an SMS account signed 【南山店】 and an official account of its own (its sub_appid: JSAPI
inside WeChat is authorized there), the others the chain's accounts. The console,
the API, the customer channel and the live stream share one origin, GATEWAY_PORT, held by deploy/front.py in front
of the staff gateway's gunicorn (GATEWAY_APP_PORT, default the next port; `GATEWAY_SERVES=staff`), the stream's
(STREAM_PORT, the one after) and the customer channel's own gunicorn (CUSTOMER_GATEWAY_PORT, the one after that:
deploy/gunicorn_customer.conf.py), as the Kubernetes Ingress does by path. Ctrl-C (SIGINT) or SIGTERM stops
every process, each gracefully first. The generated
configuration and the control socket live under DATA_DIR: `python -m supervisor.supervisorctl -c
$DATA_DIR/supervisord.conf status`.

Run as `python -m deploy.supervise` from the repository root.
"""
from __future__ import annotations

import configparser
import io
import os
import sys
from pathlib import Path

from deploy import demo
from deploy.sandboxes import alipay, health_record, messaging, nuonuo, wechatpay
from services.common import config

ROOT = Path(__file__).resolve().parents[1]
PROCFILE = ROOT / "deploy" / "Procfile"
START_SECONDS = 3  # alive this long counts as started; dying sooner is a failed start (backoff)
START_RETRIES = 20
ONE_SHOT = frozenset({"demo"})


def programs(procfile: Path = PROCFILE) -> dict[str, str]:
    """Procfile lines `name: command`, in order."""
    found = {}
    for line in procfile.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, command = line.split(":", 1)
            found[name.strip()] = command.strip()
    return found


def supervisord_conf(data_dir: Path, procfile: Path = PROCFILE) -> str:
    """The supervisord configuration of the Procfile's processes (logs to this terminal)."""
    data_dir = data_dir.resolve()
    conf = configparser.ConfigParser(interpolation=None)
    conf["supervisord"] = {"nodaemon": "true", "logfile": "/dev/stdout", "logfile_maxbytes": "0",
                           "pidfile": str(data_dir / "supervisord.pid"), "directory": str(ROOT)}
    conf["unix_http_server"] = {"file": str(data_dir / "supervisor.sock"), "chmod": "0700"}
    conf["rpcinterface:supervisor"] = {
        "supervisor.rpcinterface_factory": "supervisor.rpcinterface:make_main_rpcinterface"}
    conf["supervisorctl"] = {"serverurl": f"unix://{data_dir / 'supervisor.sock'}"}
    for name, command in programs(procfile).items():
        conf[f"program:{name}"] = {
            "command": command, "directory": str(ROOT), "autostart": "true",
            "autorestart": "false" if name in ONE_SHOT else "true",
            "startsecs": "0" if name in ONE_SHOT else str(START_SECONDS), "startretries": str(START_RETRIES),
            "stopsignal": "TERM", "stopwaitsecs": str(int(config.stop_timeout()) + 10),
            "stopasgroup": "true", "killasgroup": "true",
            "redirect_stderr": "true", "stdout_logfile": "/dev/stdout", "stdout_logfile_maxbytes": "0"}
    text = io.StringIO()
    conf.write(text)
    return text.getvalue()


def main() -> None:
    data_dir = config.data_dir()
    data_dir.mkdir(parents=True, exist_ok=True)
    sandboxed = [name for name, real in (("wechatpay", "WECHATPAY_MCHID"), ("alipay", "ALIPAY_APPID"),
                                         ("sms", "ALIYUN_SMS_ACCESS_KEY_ID"), ("wechat_mp", "ALIYUN_SMS_ACCESS_KEY_ID"))
                 if not os.environ.get(real)]
    if sandboxed and not os.environ.get("PROVIDER_KEYS_DIR"):  # a demo store on accounts of its own
        os.environ["PROVIDER_KEYS_DIR"] = str(demo.store_accounts(data_dir / "store-accounts", sandboxed))
    if not os.environ.get("WECHATPAY_MCHID"):  # the processes inherit the sandbox's merchant settings
        os.environ.update(wechatpay.credentials(data_dir / "sandboxes" / "wechatpay",
                                                f"http://127.0.0.1:{wechatpay.port()}"))
    if not os.environ.get("ALIPAY_APPID"):
        os.environ.update(alipay.credentials(data_dir / "sandboxes" / "alipay", f"http://127.0.0.1:{alipay.port()}"))
    if not os.environ.get("ALIYUN_SMS_ACCESS_KEY_ID"):  # texts and WeChat notices go to the local sandbox
        os.environ.update(messaging.credentials(f"http://127.0.0.1:{messaging.port()}"))
    port = int(os.environ.get("GATEWAY_PORT", "8080"))
    os.environ.setdefault("GATEWAY_APP_PORT", str(port + 1))
    os.environ.setdefault("STREAM_PORT", str(port + 2))
    os.environ.setdefault("CUSTOMER_GATEWAY_PORT", str(port + 3))  # /c/v1 and /m on workers of their own
    os.environ.setdefault("GATEWAY_SERVES", "staff")  # deploy/gunicorn_customer.conf.py serves the channel
    if not os.environ.get("NUONUO_APP_KEY"):  # fapiao go to the local 诺诺 sandbox
        os.environ.update(nuonuo.credentials(f"http://127.0.0.1:{nuonuo.port()}"))
    if not os.environ.get("HEALTH_RECORD_BASE_URL"):  # repair health records go to the local sandbox
        os.environ.update(health_record.credentials(f"http://127.0.0.1:{health_record.port()}"))
    path = data_dir / "supervisord.conf"
    path.write_text(supervisord_conf(data_dir))
    os.execv(sys.executable, [sys.executable, "-m", "supervisor.supervisord", "-c", str(path)])


if __name__ == "__main__":
    main()
