"""The employment service: employers who give klien a second chance, their vacancies,
and the placements of trained klien in work, followed six weeks and six months on.

Choices where the spec is silent:

* A vacancy's ``filled`` is not an event: a vacancy has taken as many placements as
  ClientPlaced events name it, and the placement that takes its last position turns its
  status ``filled``. A placement that ends later does not reopen it.
* A vacancy takes placements from its ``opens_on`` to its ``closes_on`` (at the Bapas)
  while neither closed nor filled; its status stays ``open`` after ``closes_on`` until
  an officer closes it.
* Dates of things that happened (a pledge, a closure, a check, an end) may not lie in
  the future at the Bapas (422); a placement may start ahead, but not before the klien's
  release (422). A placement's end or a check may not predate the last check (422).
* A retention check is the latest milestone whose day has come: from day 183 after the
  start the 6-month check (the 6-week one, if missed, stays missing), from day 42 the
  6-week check. ``still_employed=false`` records PlacementChecked and PlacementEnded
  (ended on the day of the check, with the body's optional ``reason``, else
  ``other``); a ``reason`` with ``still_employed=true`` is a 422.
* A placement names an employer of the caller's Bapas: an officer of another Bapas
  gets 403; an unknown employer, vacancy or klien in the body is a 422 naming it (the
  klien may not have reached this service's projection yet).
* The candidates of a vacancy are the officers' of its Bapas only: another reader of
  the vacancy (ministry, regional office) gets 403. A Pokmas partner sees nothing of
  this service: empty lists, 404 for items.
* A pledge is signed once (409 the second time).
* A klien who leaves an office's supervision has the open placement ended by the
  service itself (actor ``service``/``employment``, caused by the enrolment event): a
  revocation ends it wherever it is (``revoked``, on the day the supervision ended), a
  transfer out one at the office left (``moved``, on the day of the transfer). The end
  is never dated before the placement's start nor before a check that found work (then
  on that day). A supervision ``completed`` leaves the placement open: the klien may
  keep the job, but is no candidate and is placed no more.
* A transferred klien belongs to the new office from the ClientTransferredOut on, not
  only from the ClientTransferredIn: between the two, the old office places the klien
  no more.
"""
