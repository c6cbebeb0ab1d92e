"""The demo organisation: offices through models.ops.org, and twelve users sharing one password."""

from __future__ import annotations

from dataclasses import dataclass

from models.actor import Actor
from models.demo import catalog
from models.demo.context import Context
from models.demo.names import translit
from models.entities import Contact, Office, OfficeKind, Role, User
from models.ops.org import create_office, create_user
from models.passwords import hash_password

PASSWORD = "demo-password"
ADMIN_LOGIN = "admin@demo.test"


@dataclass(frozen=True)
class UserSpec:
    login: str
    role: Role
    office: str  # key into DemoOrg.offices
    full_name: str  # Russian, «Фамилия Имя Отчество»


USERS = (
    UserSpec(ADMIN_LOGIN, Role.ADMIN, "hq", "Соколова Анна Викторовна"),
    UserSpec("head@demo.test", Role.HEAD, "hq", "Морозов Дмитрий Сергеевич"),
    UserSpec("manager@demo.test", Role.MANAGER, "b2b", "Петров Алексей Игоревич"),
    UserSpec("manager.spb@demo.test", Role.MANAGER, "spb", "Волков Михаил Андреевич"),
    UserSpec("head.spb@demo.test", Role.HEAD, "spb", "Лебедева Ирина Олеговна"),
    UserSpec("m.kuznetsova@demo.test", Role.MANAGER, "b2b", "Кузнецова Мария Павловна"),
    UserSpec("s.orlov@demo.test", Role.MANAGER, "b2b", "Орлов Сергей Николаевич"),
    UserSpec("d.zakharov@demo.test", Role.MANAGER, "b2b", "Захаров Денис Юрьевич"),
    UserSpec("e.nikitina@demo.test", Role.MANAGER, "retail", "Никитина Екатерина Романовна"),
    UserSpec("a.belov@demo.test", Role.MANAGER, "retail", "Белов Артём Максимович"),
    UserSpec("o.smirnova@demo.test", Role.MANAGER, "retail", "Смирнова Ольга Дмитриевна"),
    UserSpec("p.grigoriev@demo.test", Role.MANAGER, "spb", "Григорьев Павел Евгеньевич"),
)


@dataclass
class DemoOrg:
    offices: dict[str, Office]
    users: list[User]

    def by_login(self, login: str) -> User:
        return next(u for u in self.users if u.email == login)

    def managers(self, *office_keys: str) -> list[User]:
        ids = {self.offices[key].id for key in office_keys}
        return [u for u in self.users if u.role is Role.MANAGER and u.office_id in ids]

    def contacts_in_scope(self, user: User, contacts: list[Contact]) -> list[Contact]:
        """The contacts a head sees: those of their office and every office under it."""
        path = next(o.path for o in self.offices.values() if o.id == user.office_id)
        offices = {o.id for o in self.offices.values() if o.path.startswith(path)}
        return [c for c in contacts if c.office_id in offices]

    def city_of(self, user: User) -> str:
        return "spb" if user.office_id == self.offices["spb"].id else "moscow"


async def seed_org(ctx: Context) -> DemoOrg:
    system = Actor.system(ctx.language)

    async def office(name: str, kind: OfficeKind, parent: Office | None) -> Office:
        return await create_office(
            system,
            name=name,
            kind=kind,
            parent_id=parent.id if parent else None,
            timezone=catalog.TIMEZONE,
        )

    hq = await office(ctx.text(catalog.HQ), OfficeKind.COMPANY, None)
    offices = {
        "hq": hq,
        "b2b": await office(ctx.text(catalog.B2B_DEPARTMENT), OfficeKind.DEPARTMENT, hq),
        "retail": await office(ctx.text(catalog.RETAIL_DEPARTMENT), OfficeKind.DEPARTMENT, hq),
        # company → branch → department: the branch hangs under the company (head office) node.
        "spb": await office(ctx.text(catalog.SPB_BRANCH), OfficeKind.BRANCH, hq),
    }
    ctx.used_phones.update(
        await User.filter(phone__isnull=False).values_list("phone", flat=True)  # type: ignore[arg-type]
    )
    users = [
        await create_user(
            system,
            email=spec.login,
            full_name=spec.full_name if ctx.language == "ru" else translit(spec.full_name),
            office_id=offices[spec.office].id,
            role=spec.role,
            phone=ctx.mobile(),
            language=ctx.language,
        )
        for spec in USERS
    ]
    # argon2 is slow on purpose: hash once, share the hash.
    password_hash = hash_password(PASSWORD)
    await User.filter(id__in=[u.id for u in users]).update(password_hash=password_hash)
    for user in users:
        user.password_hash = password_hash
    return DemoOrg(offices=offices, users=users)
