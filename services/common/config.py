"""Configuration from the environment (12-factor): one place that names every variable the services
and the shared code read (the gateway's own settings are its frozen `gateway.config.Settings`; the
process files under deploy/ read theirs where the process starts)."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

SERVICES = ("crm", "sales", "workshop", "inventory", "finance")
"""Every domain service; the gateway's own identity database is configured like one."""

DEFAULT_AMQP_URI = "amqp://guest:guest@localhost:5672/"


def amqp_uri() -> str:
    """`AMQP_URI`: one broker, or the nodes of a cluster separated by `;` (kombu's failover form)."""
    return os.environ.get("AMQP_URI", DEFAULT_AMQP_URI)


def durable_queue_type() -> str:
    """`RABBITMQ_QUEUE_TYPE`: `quorum` (the default: every deployment, `make run`) or `classic` — the test stacks
    that do not test the broker's faults, where RabbitMQ 3.10 starting a few hundred quorum queues at once froze
    the whole node for two minutes (services/common/queues.py)."""
    kind = os.environ.get("RABBITMQ_QUEUE_TYPE", "quorum")
    if kind not in ("quorum", "classic"):
        raise ValueError(f"RABBITMQ_QUEUE_TYPE must be quorum or classic, not {kind!r}")
    return kind


def amqp_addresses(uri: str) -> list[str]:
    """Each broker address of an `AMQP_URI`, in the order a client tries them."""
    return [part.strip() for part in uri.split(";") if part.strip()]


def otlp_endpoint() -> str | None:
    """`OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`): where traces go by OTLP over
    HTTP; unset, no trace is made (`tracing.py`)."""
    return os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")


def data_dir() -> Path:
    return Path(os.environ.get("DATA_DIR", "./var"))


def database_url(owner: str) -> str:
    """`<OWNER>_DATABASE_URL`, else a SQLite file per owner under DATA_DIR."""
    explicit = os.environ.get(f"{owner.upper()}_DATABASE_URL")
    if explicit:
        return explicit
    directory = data_dir()
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{directory.resolve() / owner}.db"


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def rpc_timeout() -> float:
    """`RPC_TIMEOUT`: seconds the gateway, and a service calling another, wait for an answer."""
    return env_float("RPC_TIMEOUT", 3.0)


def event_retention_days() -> float:
    """`EVENT_RETENTION_DAYS`: how long sent outbox rows and processed-event records are kept."""
    return env_float("EVENT_RETENTION_DAYS", 14)


def idempotency_retention_days() -> float:
    """`IDEMPOTENCY_RETENTION_DAYS`: how long the gateway keeps an Idempotency-Key's answer."""
    return env_float("IDEMPOTENCY_RETENTION_DAYS", 7)


def log_levels() -> tuple[str, str]:
    """`LOG_LEVEL` of our own loggers and `LIB_LOG_LEVEL` of the chatty libraries (nameko, kombu, pika)."""
    return os.environ.get("LOG_LEVEL", "INFO"), os.environ.get("LIB_LOG_LEVEL", "WARNING")


def db_pool() -> tuple[int, int]:
    """`DB_POOL_SIZE` and `DB_MAX_OVERFLOW` of a PostgreSQL engine (per process)."""
    return env_int("DB_POOL_SIZE", 10), env_int("DB_MAX_OVERFLOW", 5)


def event_retry_delays_ms() -> tuple[int, ...] | None:
    """`EVENT_RETRY_DELAYS_MS=1000,5000,...`: one retry of a failed event handler per entry (None: not set)."""
    raw = os.environ.get("EVENT_RETRY_DELAYS_MS")
    return tuple(int(part) for part in raw.split(",") if part.strip()) if raw else None


def prometheus_multiproc_dir() -> str | None:
    """`PROMETHEUS_MULTIPROC_DIR`: set under gunicorn, where the workers' metrics are merged."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


@dataclass(frozen=True)
class StorageSettings:
    """Where attachment bytes are: `STORAGE_BACKEND` local (under DATA_DIR) or s3 (the `S3_*` variables)."""
    backend: str = field(default_factory=lambda: os.environ.get("STORAGE_BACKEND", "local"))
    s3_bucket: str | None = field(default_factory=lambda: os.environ.get("S3_BUCKET"))
    s3_endpoint_url: str | None = field(default_factory=lambda: os.environ.get("S3_ENDPOINT_URL"))
    s3_public_endpoint_url: str | None = field(default_factory=lambda: os.environ.get("S3_PUBLIC_ENDPOINT_URL"))
    """The store's address as browsers reach it, when the services reach it by another (compose: minio:9000)."""
    s3_region: str | None = field(default_factory=lambda: os.environ.get("S3_REGION"))
    s3_access_key_id: str | None = field(default_factory=lambda: os.environ.get("S3_ACCESS_KEY_ID"))
    s3_secret_access_key: str | None = field(default_factory=lambda: os.environ.get("S3_SECRET_ACCESS_KEY"),
                                             repr=False)
    s3_url_ttl_seconds: int = field(default_factory=lambda: env_int("S3_URL_TTL_SECONDS", 300))


class CrmSenderSettings:
    """How fast crm sends campaign messages (through the same providers as its outbox): each channel at most
    `CRM_RATE_LIMIT_<CHANNEL>` a minute."""

    @staticmethod
    def rate_per_minute(channel: str, default: int) -> int:
        return env_int(f"CRM_RATE_LIMIT_{channel.upper()}", default)


@dataclass(frozen=True)
class WeChatPaySettings:
    """WeChat Pay API v3 (services/finance/wechatpay.py) of one merchant account: a direct merchant
    (`mchid`/`appid` its own), or a sub-merchant of a service provider (服务商模式: `mchid`/`appid` are the
    provider's sp_mchid/sp_appid, `sub_mchid` the store's 特约商户号). Without `WECHATPAY_MCHID` it is not
    configured. Per store through `provider_settings("wechatpay", …)`; keys from the environment and key
    files, never from a database."""
    mchid: str = field(default_factory=lambda: os.environ.get("WECHATPAY_MCHID", ""))
    appid: str = field(default_factory=lambda: os.environ.get("WECHATPAY_APPID", ""))
    sub_mchid: str = field(default_factory=lambda: os.environ.get("WECHATPAY_SUB_MCHID", ""))
    sub_appid: str = field(default_factory=lambda: os.environ.get("WECHATPAY_SUB_APPID", ""))
    cert_serial_no: str = field(default_factory=lambda: os.environ.get("WECHATPAY_CERT_SERIAL_NO", ""))
    private_key_file: str = field(default_factory=lambda: os.environ.get("WECHATPAY_PRIVATE_KEY_FILE", ""))
    apiv3_key: str = field(default_factory=lambda: os.environ.get("WECHATPAY_APIV3_KEY", ""), repr=False)
    notify_url: str = field(default_factory=lambda: os.environ.get("WECHATPAY_NOTIFY_URL") or (
        f"http://127.0.0.1:{os.environ.get('GATEWAY_PORT', '8080')}/v1/payments/notify/wechat"))
    base_url: str = field(default_factory=lambda: os.environ.get(
        "WECHATPAY_BASE_URL", "https://api.mch.weixin.qq.com").rstrip("/"))
    platform_cert_dir: str | None = field(
        default_factory=lambda: os.environ.get("WECHATPAY_PLATFORM_CERT_DIR") or None)
    timeout: float = field(default_factory=lambda: env_float("WECHATPAY_TIMEOUT", 1.2))


@dataclass(frozen=True)
class SmsSettings:
    """Alibaba Cloud SMS (短信服务, `SendSms`/`QuerySendDetails`) as services/common/sms.py speaks it; without
    `ALIYUN_SMS_ACCESS_KEY_ID` SMS is not configured and every text fails as the provider being unavailable."""
    access_key_id: str = field(default_factory=lambda: os.environ.get("ALIYUN_SMS_ACCESS_KEY_ID", ""))
    access_key_secret: str = field(default_factory=lambda: os.environ.get("ALIYUN_SMS_ACCESS_KEY_SECRET", ""),
                                   repr=False)
    endpoint: str = field(default_factory=lambda: os.environ.get(
        "ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com").rstrip("/"))
    sign_name: str = field(default_factory=lambda: os.environ.get("ALIYUN_SMS_SIGN_NAME", "车主服务"))
    timeout: float = field(default_factory=lambda: env_float("SMS_TIMEOUT", 2))


@dataclass(frozen=True)
class WeChatMpSettings:
    """A WeChat official account (公众号) that sends template messages (services/common/wechat_mp.py);
    without `WECHAT_MP_APPID` WeChat messages are not configured and go by SMS."""
    appid: str = field(default_factory=lambda: os.environ.get("WECHAT_MP_APPID", ""))
    secret: str = field(default_factory=lambda: os.environ.get("WECHAT_MP_SECRET", ""), repr=False)
    base_url: str = field(default_factory=lambda: os.environ.get(
        "WECHAT_MP_BASE_URL", "https://api.weixin.qq.com").rstrip("/"))
    timeout: float = field(default_factory=lambda: env_float("SMS_TIMEOUT", 2))


@dataclass(frozen=True)
class MessageLimits:
    """How much marketing a car owner and a store get (crm's outbox; transactional messages are never held):
    `CRM_MARKETING_PER_CUSTOMER_WEEK` messages to one customer in seven days (more fail `customer_rate_limited`),
    `CRM_MARKETING_PER_STORE_MINUTE` sent for one store a minute (the rest wait for the next minute)."""
    per_customer_week: int = field(default_factory=lambda: env_int("CRM_MARKETING_PER_CUSTOMER_WEEK", 2))
    per_store_minute: int = field(default_factory=lambda: env_int("CRM_MARKETING_PER_STORE_MINUTE", 60))


def message_retry_seconds() -> tuple[float, ...]:
    """`CRM_MESSAGE_RETRY_SECONDS`: the waits between tries of a message whose provider is down (then failed)."""
    raw = os.environ.get("CRM_MESSAGE_RETRY_SECONDS", "10,30,120,600,1800,3600,7200,14400,28800,43200")
    return tuple(float(part) for part in raw.split(",") if part.strip())


@dataclass(frozen=True)
class AlipaySettings:
    """Alipay's open platform (openapi gateway, RSA2 public-key mode) for one app (services/finance/alipay.py):
    the chain's own app, or the chain's third-party app acting for a store's merchant by its `app_auth_token`
    (第三方应用授权; `auth_app_id` the merchant's app it was granted by). Without `ALIPAY_APPID` it is not
    configured. Per store through `provider_settings("alipay", …)`; keys are files, never in a database."""
    appid: str = field(default_factory=lambda: os.environ.get("ALIPAY_APPID", ""))
    app_auth_token: str = field(default_factory=lambda: os.environ.get("ALIPAY_APP_AUTH_TOKEN", ""), repr=False)
    auth_app_id: str = field(default_factory=lambda: os.environ.get("ALIPAY_AUTH_APP_ID", ""))
    private_key_file: str = field(default_factory=lambda: os.environ.get("ALIPAY_PRIVATE_KEY_FILE", ""))
    alipay_public_key_file: str = field(default_factory=lambda: os.environ.get("ALIPAY_PUBLIC_KEY_FILE", ""))
    notify_url: str = field(default_factory=lambda: os.environ.get("ALIPAY_NOTIFY_URL") or (
        f"http://127.0.0.1:{os.environ.get('GATEWAY_PORT', '8080')}/v1/payments/notify/alipay"))
    base_url: str = field(default_factory=lambda: os.environ.get(
        "ALIPAY_BASE_URL", "https://openapi.alipay.com/gateway.do"))
    timeout: float = field(default_factory=lambda: env_float("ALIPAY_TIMEOUT", 1.2))


def payment_poll_seconds() -> float:
    """`PAYMENT_POLL_SECONDS`: how often pending payment intents are asked about at the provider."""
    return env_float("PAYMENT_POLL_SECONDS", 10)


def payment_intent_ttl_seconds() -> float:
    """`PAYMENT_INTENT_TTL_SECONDS`: how long a QR code or link can be paid before it is closed."""
    return env_float("PAYMENT_INTENT_TTL_SECONDS", 900)


def payment_reconcile_seconds() -> float:
    """`PAYMENT_RECONCILE_SECONDS`: how often finance looks for yesterday's provider statements not yet
    reconciled (each is downloaded once it is due; a failed download is tried again on the next look)."""
    return env_float("PAYMENT_RECONCILE_SECONDS", 900)


def payment_statement_hour() -> int:
    """`PAYMENT_STATEMENT_HOUR`: the Beijing hour from which yesterday's statements are asked for (WeChat Pay
    has them from 10:00, Alipay from 09:00)."""
    return int(env_float("PAYMENT_STATEMENT_HOUR", 10))


@dataclass
class NuonuoSettings:
    """诺诺开放平台 (services/finance/fapiao_nuonuo.py), the issuing provider of electronic fapiao; without
    `NUONUO_APP_KEY` it is not configured and fapiao requests stay queued. A store that is its own legal
    entity issues under its own 销方税号 (`tax_num`) with the access token 诺诺 granted for it: per store
    through `provider_settings("nuonuo", …)`. Secrets from the environment or the keys directory only."""
    app_key: str = field(default_factory=lambda: os.environ.get("NUONUO_APP_KEY", ""))
    app_secret: str = field(default_factory=lambda: os.environ.get("NUONUO_APP_SECRET", ""), repr=False)
    tax_num: str = field(default_factory=lambda: os.environ.get("NUONUO_TAX_NUM", ""))
    seller_name: str = field(default_factory=lambda: os.environ.get("NUONUO_SELLER_NAME", ""))
    clerk: str = field(default_factory=lambda: os.environ.get("NUONUO_CLERK", "开票员"))
    base_url: str = field(default_factory=lambda: os.environ.get("NUONUO_BASE_URL", "https://sdk.nuonuo.com"))
    token_url: str = field(default_factory=lambda: os.environ.get("NUONUO_TOKEN_URL",
                                                                  "https://open.nuonuo.com/accessToken"))
    access_token: str = field(default_factory=lambda: os.environ.get("NUONUO_ACCESS_TOKEN", ""), repr=False)
    timeout: float = field(default_factory=lambda: env_float("NUONUO_TIMEOUT", 10))


def fapiao_poll_seconds() -> float:
    """`FAPIAO_POLL_SECONDS`: how often finance's worker sends due fapiao and asks about those in progress."""
    return env_float("FAPIAO_POLL_SECONDS", 5)


def fapiao_retry_seconds() -> float:
    """`FAPIAO_RETRY_SECONDS`: the first wait after the provider was found down (each next one twice as long)."""
    return env_float("FAPIAO_RETRY_SECONDS", 30)


@dataclass
class HealthRecordSettings:
    """The provincial 汽车维修电子健康档案 system (services/finance/health_record_provider.py). Each shop logs in
    with its own `companycode` (the store's 许可证号/备案号, a finance store setting) and password: the passwords
    come from the environment only, `HEALTH_RECORD_PASSWORDS` (JSON {companycode: password}) or, for every shop
    of the chain alike, `HEALTH_RECORD_PASSWORD`, or a store's own keys file (`provider_settings("health_record",
    …)`: its `password`, and `base_url` for a store in another province). Without `HEALTH_RECORD_BASE_URL`
    uploads stay queued."""
    base_url: str = field(default_factory=lambda: os.environ.get("HEALTH_RECORD_BASE_URL", ""))
    password: str = field(default_factory=lambda: os.environ.get("HEALTH_RECORD_PASSWORD", ""), repr=False)
    passwords_json: str = field(default_factory=lambda: os.environ.get("HEALTH_RECORD_PASSWORDS", "{}"), repr=False)
    timeout: float = field(default_factory=lambda: env_float("HEALTH_RECORD_TIMEOUT", 10))

    def password_of(self, company_code: str) -> str:
        try:
            passwords = json.loads(self.passwords_json or "{}")
        except ValueError:
            passwords = {}
        found = passwords.get(company_code) if isinstance(passwords, dict) else None
        return str(found) if found else self.password


PROVIDERS: dict[str, type] = {"wechatpay": WeChatPaySettings, "alipay": AlipaySettings,
                               "nuonuo": NuonuoSettings, "health_record": HealthRecordSettings,
                               "sms": SmsSettings, "wechat_mp": WeChatMpSettings}
"""The providers whose settings a store may have of its own (`provider_settings`): payments, fapiao, the
health record, and the message accounts crm sends a store's messages under (its SMS sign / AccessKey, its
WeChat official account)."""

SECRET_FIELDS = frozenset({"apiv3_key", "app_auth_token", "app_secret", "access_token", "password",
                           "passwords_json", "access_key_secret", "secret"})
"""Fields never shown (the console shows a store's account ids and tax number, never these)."""


def provider_keys_dir() -> Path | None:
    """`PROVIDER_KEYS_DIR`: where the stores' own provider accounts are, one folder per provider
    (`wechatpay`, `alipay`, `nuonuo`, `health_record`, `sms`, `wechat_mp`) holding `<store code>.json` each —
    the shape of a Kubernetes Secret per provider mounted as a folder (deploy/k8s: `provider-keys-<provider>`,
    a key per store). Unset: every store uses the chain's account from the environment."""
    raw = os.environ.get("PROVIDER_KEYS_DIR", "")
    return Path(raw) if raw else None


_store_files: dict[Path, tuple[float, dict]] = {}


def _store_file(path: Path) -> dict:
    """One store's file, read again whenever it changes (a rotated Secret takes effect without a restart).
    A file that is not a JSON object of strings is an error naming the file, never its content."""
    stamp = path.stat().st_mtime
    cached = _store_files.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise ValueError(f"{path} is not JSON") from None
    if not isinstance(found, dict) or not all(isinstance(value, str | int) for value in found.values()):
        raise ValueError(f"{path} must be a JSON object of strings")
    folder = path.parent
    values = {str(name): str(value) for name, value in found.items()}
    for name, value in values.items():  # key files named relative to the provider's folder
        if name.endswith("_file") and value and not Path(value).is_absolute():
            values[name] = str(folder / value)
    _store_files[path] = (stamp, values)
    return values


def store_file(provider: str, *store_keys: str | None) -> Path | None:
    """The store's own keys file for `provider` (the first of `store_keys` that has one), else None."""
    folder = provider_keys_dir()
    if folder is None:
        return None
    for key in store_keys:
        if key and "/" not in key and not key.startswith("."):
            path = folder / provider / f"{key}.json"
            if path.is_file():
                return path
    return None


def provider_settings(provider: str, *store_keys: str | None, chain=None):
    """The settings of `provider` (a key of PROVIDERS) a store uses: the chain's default (`chain`, else from
    the environment), each field its keys file names overriding it — the first of `store_keys` (the store's
    code, then its id) with a file `PROVIDER_KEYS_DIR/<provider>/<key>.json`. Without keys: the chain's.
    A field the settings do not have is an error naming the file."""
    kind = PROVIDERS[provider]
    chain = kind() if chain is None else chain
    path = store_file(provider, *store_keys)
    if path is None:
        return chain
    overrides = _store_file(path)
    names = {item.name: item for item in fields(kind)}
    unknown = sorted(set(overrides) - set(names))
    if unknown:
        raise ValueError(f"{path} names settings {provider} does not have: {', '.join(unknown)}")
    return replace(chain, **{name: _typed(getattr(chain, name), value) for name, value in overrides.items()})


def _typed(default, value: str):
    """A file's value as the field's type (the timeouts are numbers)."""
    return value if default is None or isinstance(default, str) else type(default)(value)


def provider_store_keys(provider: str) -> list[str]:
    """The store keys with their own file for `provider` (e.g. every account to reconcile)."""
    folder = provider_keys_dir()
    if folder is None or not (folder / provider).is_dir():
        return []
    return sorted(path.stem for path in (folder / provider).glob("*.json") if not path.name.startswith("."))


def health_record_poll_seconds() -> float:
    """`HEALTH_RECORD_POLL_SECONDS`: how often finance's worker uploads due repair records."""
    return env_float("HEALTH_RECORD_POLL_SECONDS", 5)


def health_record_retry_seconds() -> float:
    """`HEALTH_RECORD_RETRY_SECONDS`: the first wait after the provincial system was found down (then doubling)."""
    return env_float("HEALTH_RECORD_RETRY_SECONDS", 30)


def fapiao_tax_codes() -> dict[str, str]:
    """`FAPIAO_TAX_CODES`: the 税收分类编码 per kind of invoice line (JSON: labour, part, fee)."""
    try:
        codes = json.loads(os.environ.get("FAPIAO_TAX_CODES", "{}"))
    except ValueError:
        return {}
    return {str(kind): str(code) for kind, code in codes.items()} if isinstance(codes, dict) else {}


def payables_tolerances() -> tuple[float, float]:
    """`AP_PRICE_TOLERANCE_PCT` / `AP_QTY_TOLERANCE_PCT`: how far (percent) a supplier invoice's unit
    price may be from the ordered one, and its quantity above what is left to bill, and still match."""
    return env_float("AP_PRICE_TOLERANCE_PCT", 2), env_float("AP_QTY_TOLERANCE_PCT", 0)


def stop_timeout() -> float:
    """Seconds a service process waits for a graceful stop after SIGTERM before killing its workers
    (inside the services' 60 s Kubernetes grace period; crm's deployment sets 290 of its 300)."""
    return env_float("STOP_TIMEOUT", 50)


def metrics_port() -> int:
    """`METRICS_PORT`: where a service process serves `/metrics` and its liveness `/healthz`; 0 (the
    default, as under `make run` where five processes share a host) serves neither."""
    return env_int("METRICS_PORT", 0)


def nameko_config() -> dict:
    """The nameko container config a service process runs with."""
    return {
        "AMQP_URI": amqp_uri(),
        "max_workers": env_int("MAX_WORKERS", 10),
        "PREFETCH_COUNT": env_int("PREFETCH_COUNT", 10),
        "HEARTBEAT": env_int("AMQP_HEARTBEAT", 30),
        "serializer": "json",
    }
