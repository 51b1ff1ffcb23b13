"""
### rollback

Puts an environment's last good release back into service, or an earlier
version from its history. Health checks and missed deploy deadlines start it
automatically; trigger it by hand from the Airflow UI with an **environment** (and optionally a
**version**). Rolling back to what already serves changes nothing.
"""

from __future__ import annotations

from tradosphere_cicd.workflows import rollback

dag = rollback(doc_md=__doc__)
