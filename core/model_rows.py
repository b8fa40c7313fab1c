"""Model instances from rows of hand-written SQL, with the ORM's own conversions.

The hot paths (token authentication, the autosave UPDATE ... RETURNING) run fixed SQL
and build their instances with `Model.from_db`, as the ORM does. The values must
first pass through the converters the ORM's compiler would apply: on SQLite, for
one, datetimes come back naive without them.
"""

from functools import lru_cache

from django.db import connections
from django.db.models import Model


@lru_cache(maxsize=32)
def _converters(model: type[Model], attnames: tuple[str, ...], alias: str) -> tuple:
    """Per column: the converters Django's compiler would apply, and their Col."""
    connection = connections[alias]
    meta = model._meta
    converters = []
    for attname in attnames:
        field = meta.get_field(attname)
        column = field.get_col(meta.db_table)
        converters.append(
            (
                tuple(
                    connection.ops.get_db_converters(column)
                    + field.get_db_converters(connection)
                ),
                column,
            )
        )
    return tuple(converters)


def model_from_row(
    model: type[Model], attnames: tuple[str, ...], row: tuple, *, alias: str = "default"
) -> Model:
    """An instance of `model` whose `attnames` hold `row`'s values, in order."""
    connection = connections[alias]
    values = []
    for value, (converters, column) in zip(
        row, _converters(model, attnames, alias), strict=True
    ):
        for converter in converters:
            value = converter(value, column, connection)
        values.append(value)
    return model.from_db(alias, list(attnames), values)
