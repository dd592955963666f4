from services.common.migrate import run_env
from services.workshop.models import Base

run_env(Base.metadata)
