"""Flask extensions, created unbound and initialised in the app factory."""

from typing import TYPE_CHECKING, ClassVar

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, Table
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic migrations reviewable and portable between SQLite and
# PostgreSQL (SQLite needs names to alter a constraint in batch mode).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # Every model is mapped to one table (no joined or selectable mappings): the services'
    # plain INSERT and UPDATE statements are built on it.
    __table__: ClassVar[Table]


db = SQLAlchemy(model_class=Base)

# The models' base class. Flask-SQLAlchemy builds ``db.Model`` from ``Base`` at run time,
# which a type checker cannot follow; it sees ``Base``, whose columns and typing are the same.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
csrf = CSRFProtect()
mail = Mail()
babel = Babel()
login_manager = LoginManager()
# One limiter per process; app/ratelimits.py binds it and holds the limits of each route.
# Its behaviour is fixed here rather than read from each app's config, because Flask-Limiter
# keeps the first app's value of these settings for every app created after it.
limiter = Limiter(
    key_func=get_remote_address,  # the client's address (ProxyFix sets it behind a proxy)
    default_limits=[],
    strategy="fixed-window",
    key_prefix="minerales",
    # The 429 page sets its own Retry-After; the X-RateLimit headers would go out on
    # every limited page, and a Retry-After on a 200 only confuses.
    headers_enabled=False,
    # Redis down must not mean bookings down: count in memory meanwhile, and never turn
    # a storage error into a 500.
    swallow_errors=True,
    in_memory_fallback_enabled=True,
)
