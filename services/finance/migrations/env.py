from services.common.migrate import run_env
from services.finance.models import Base

run_env(Base.metadata)
