"""The pokmas service: the Pokmas registry, MoU life cycle and training programmes.

Choices where the spec is silent:

* An MoU is ``active`` from its signature until it is terminated or expires, even if
  its ``valid_from`` is still ahead; there is no ``pending`` status. Rule 1 still holds
  a programme inside the MoU's validity, so nothing can run before ``valid_from``.
* An MoU whose ``valid_until`` has passed but which the daily job has not expired yet
  is treated as expired by every command: no renewal, termination or programme.
* Dates of things that happened (``signed_on``, ``effective_on``, ``closed_on``) may
  not lie in the future at the Bapas; an MoU cannot be signed already lapsed, and a
  termination cannot predate the signature. These are 422s naming the field.
* ``PUT /pokmas/{id}/contact`` takes ``{"contact": {name, phone, email}}``, like the
  ``contact`` field of the registration, and answers 201 like every command.
* ``MoUExpired.expired_on`` is the day after ``valid_until``: the first day without it.
"""
