"""Persistence: SQLAlchemy Core tables and mappers, unit of work, AES-GCM keyring, migrations.

The composition root wires `Database(url)`, a `Keyring`, and
`SqlUnitOfWorkFactory(database, keyring)` as the domain's `UnitOfWorkFactory`.
"""

from adapters.persistence.database import Database
from adapters.persistence.errors import ConfigurationError
from adapters.persistence.keyring import Keyring, KeyringFormatError
from adapters.persistence.single_process import AlreadyServing, hold_single_process_lock
from adapters.persistence.uow import SqlUnitOfWork, SqlUnitOfWorkFactory

__all__ = [
    "AlreadyServing",
    "ConfigurationError",
    "Database",
    "Keyring",
    "KeyringFormatError",
    "SqlUnitOfWork",
    "SqlUnitOfWorkFactory",
    "hold_single_process_lock",
]
