"""Registry use cases. Each takes an open unit of work, writes its audit row, never commits."""

from jinbao.registry.service._common import NewAgency, NewEmployer, NewPerson, NewRelationship
from jinbao.registry.service.agencies import (
    add_agencies,
    add_agency,
    get_agency,
    set_agency_network,
    update_agency_contact,
)
from jinbao.registry.service.employers import (
    add_employer,
    get_employer,
    insert_employers,
    move_employer,
    validate_employer,
)
from jinbao.registry.service.persons import (
    add_person,
    get_person,
    insert_persons,
    person_row_id,
    registered_person,
    validate_person,
)
from jinbao.registry.service.relationships import (
    add_relationship,
    change_relationship_status,
    get_relationship,
    make_temporary,
    person_relationships,
    relationship_with_history,
    status_history,
)

__all__ = [
    "NewAgency",
    "NewEmployer",
    "NewPerson",
    "NewRelationship",
    "add_agencies",
    "add_agency",
    "add_employer",
    "add_person",
    "add_relationship",
    "change_relationship_status",
    "get_agency",
    "get_employer",
    "get_person",
    "get_relationship",
    "insert_employers",
    "insert_persons",
    "make_temporary",
    "move_employer",
    "person_relationships",
    "person_row_id",
    "registered_person",
    "relationship_with_history",
    "set_agency_network",
    "status_history",
    "update_agency_contact",
    "validate_employer",
    "validate_person",
]
