# Connects where the environment says, as an application's env.py does.
import os

from alembic import context
from sqlalchemy import create_engine


def database_url():
    url = os.environ["DATABASE_URL"]
    if url.startswith("mysql://") or url.startswith("mariadb://"):
        url = "mysql+pymysql://" + url.split("://", 1)[1]
    return url


engine = create_engine(database_url())
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
