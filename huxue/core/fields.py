from __future__ import annotations

from typing import Any

from django.db import models

from huxue.core import crypto


class EncryptedTextField(models.TextField):
    """Holds ciphertext in the database and plaintext in Python.

    The associated data is ``app_label.model.field``, fixed when the field is attached to its
    model. Never filter on this field: look values up through their blind index.
    """

    def contribute_to_class(
        self, cls: type[models.Model], name: str, *args: Any, **kwargs: Any
    ) -> None:
        super().contribute_to_class(cls, name, *args, **kwargs)
        self.crypto_context = f"{cls._meta.app_label}.{cls._meta.model_name}.{name}"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value, context=self.crypto_context)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value), context=self.crypto_context)
