"""The demo organisation's teams and people."""

from __future__ import annotations

from coe.auth import passwords
from coe.auth.models import Person, Team
from coe.extensions import db

TEAMS = [
    ("Digital Delivery", "Customer-facing digital products: CRM, portals and mobile apps."),
    ("Finance Transformation", "ERP finance rollout, close acceleration and regulatory reporting changes."),
    ("Operations & Supply Chain", "Warehouse openings, logistics systems and plant upgrades."),
    ("Infrastructure & Cloud", "Data centre exit, network refresh and platform migrations."),
]

# email, name, team index, role profile, roles, time zone
PEOPLE = [
    ("admin@example.org", "Alex Admin", 0, "senior-pm", {"admin"}, "Europe/London"),
    ("lead@example.org", "Leona Lead", 0, "program-manager", {"lead"}, "Europe/Berlin"),
    ("mentor@example.org", "Marco Mentor", 1, "senior-pm", {"mentor"}, "Europe/Rome"),
    ("pm@example.org", "Priya Patel", 0, "pm", set(), "Europe/London"),
    ("amara.okafor@example.org", "Amara Okafor", 0, "associate-pm", set(), "Africa/Lagos"),
    ("ben.carter@example.org", "Ben Carter", 0, "pm", set(), "Europe/London"),
    ("chen.wei@example.org", "Chen Wei", 0, "senior-pm", {"mentor"}, "Asia/Singapore"),
    ("daniela.rossi@example.org", "Daniela Rossi", 0, "associate-pm", set(), "Europe/Rome"),
    ("emil.novak@example.org", "Emil Novak", 0, "pm", set(), "Europe/Prague"),
    ("farah.haddad@example.org", "Farah Haddad", 1, "program-manager", {"lead"}, "Asia/Dubai"),
    ("gustav.lind@example.org", "Gustav Lind", 1, "pm", set(), "Europe/Stockholm"),
    ("hana.sato@example.org", "Hana Sato", 1, "associate-pm", set(), "Asia/Tokyo"),
    ("isaac.mensah@example.org", "Isaac Mensah", 1, "pm", set(), "Europe/London"),
    ("julia.schmidt@example.org", "Julia Schmidt", 1, "senior-pm", {"mentor"}, "Europe/Berlin"),
    ("kofi.asante@example.org", "Kofi Asante", 1, "associate-pm", set(), "Europe/London"),
    ("lucia.fernandez@example.org", "Lucía Fernández", 2, "program-manager", {"lead", "mentor"}, "Europe/Madrid"),
    ("mateo.silva@example.org", "Mateo Silva", 2, "pm", set(), "America/Sao_Paulo"),
    ("nora.byrne@example.org", "Nora Byrne", 2, "associate-pm", set(), "Europe/Dublin"),
    ("oliver.grant@example.org", "Oliver Grant", 2, "senior-pm", set(), "America/New_York"),
    ("pooja.iyer@example.org", "Pooja Iyer", 2, "pm", set(), "Asia/Kolkata"),
    ("quentin.moreau@example.org", "Quentin Moreau", 2, "associate-pm", set(), "Europe/Paris"),
    ("rosa.martins@example.org", "Rosa Martins", 2, "pm", set(), "Europe/Lisbon"),
    ("samuel.cohen@example.org", "Samuel Cohen", 3, "program-manager", {"lead"}, "America/Toronto"),
    ("tara.nguyen@example.org", "Tara Nguyen", 3, "senior-pm", {"mentor"}, "Australia/Sydney"),
    ("umar.farouk@example.org", "Umar Farouk", 3, "pm", set(), "Europe/London"),
    ("vera.kowalski@example.org", "Vera Kowalski", 3, "associate-pm", set(), "Europe/Warsaw"),
    ("william.osei@example.org", "William Osei", 3, "pm", set(), "Africa/Accra"),
    ("ximena.lopez@example.org", "Ximena López", 3, "associate-pm", set(), "America/Mexico_City"),
    ("yusuf.demir@example.org", "Yusuf Demir", 3, "senior-pm", set(), "Europe/Istanbul"),
    ("zoe.fischer@example.org", "Zoe Fischer", 0, "pm", set(), "Europe/Zurich"),
    ("arjun.rao@example.org", "Arjun Rao", 1, "pm", set(), "Asia/Kolkata"),
    ("bianca.keller@example.org", "Bianca Keller", 2, "senior-pm", {"mentor"}, "Europe/Vienna"),
]

SHOWN = {"admin@example.org": "admin", "lead@example.org": "CoE lead of Digital Delivery",
         "mentor@example.org": "mentor", "pm@example.org": "project manager (learner)"}


def seed_people(password: str) -> list[tuple[str, str]]:
    """Create the demo teams and people; every account shares one password."""
    teams = [Team(name=name, name_key=name.lower(), description=description) for name, description in TEAMS]
    db.session.add_all(teams)
    # One hash for all: the demo accounts share a password, and 32 argon2 hashes cost seconds.
    password_hash = passwords.hash_password(password)
    for email, name, team_index, profile, roles, zone in PEOPLE:
        team = teams[team_index]
        db.session.add(Person(
            email=email,
            display_name=name,
            password_hash=password_hash,
            team=team,
            role_profile=profile,
            time_zone=zone,
            is_mentor="mentor" in roles,
            is_admin="admin" in roles,
            led_teams=[team] if "lead" in roles else [],
        ))
    db.session.flush()
    return list(SHOWN.items())
