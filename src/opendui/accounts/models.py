"""Professionals (users), roles as data, assignments and break-the-glass grants."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opendui.core.identifiers import adeli_problem, rpps_problem
from opendui.core.models import VersionedModel
from opendui.organisations.models import Facility, ManagingOrganisation, Unit

from .permissions import CATALOGUE, AccessLevel, DataCategory
from .professions import ActivityRole, Profession


def validate_rpps(value: str) -> None:
    problem = rpps_problem(value)
    if problem:
        raise ValidationError(problem, code="rpps")


def validate_adeli(value: str) -> None:
    problem = adeli_problem(value)
    if problem:
        raise ValidationError(problem, code="adeli")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user


class User(AbstractBaseUser, VersionedModel):
    """A professional. Logs in with an e-mail address (and later Pro Santé Connect)."""

    email = models.EmailField(_("adresse e-mail"), unique=True)
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom"), max_length=100)
    profession = models.CharField(
        _("profession"), max_length=10, choices=Profession, default=Profession.OTHER
    )
    activity_role = models.CharField(
        _("rôle d'activité médico-sociale (RPPS+)"),
        max_length=6,
        choices=ActivityRole,
        blank=True,
    )
    rpps = models.CharField(
        _("numéro RPPS"),
        max_length=11,
        blank=True,
        validators=[validate_rpps],
        help_text=_("11 chiffres, pour les professions enregistrées au RPPS."),
    )
    adeli = models.CharField(
        _("numéro ADELI"), max_length=9, blank=True, validators=[validate_adeli]
    )
    rpps_plus = models.CharField(
        _("numéro RPPS+ (professionnel à rôle)"),
        max_length=11,
        blank=True,
        validators=[validate_rpps],
    )
    # When the names, profession and national identifier were last confirmed in the
    # Annuaire Santé (accounts.annuaire); null: typed by hand, « non vérifié dans l'Annuaire ».
    annuaire_checked_at = models.DateTimeField(
        _("vérifié dans l'Annuaire Santé le"), null=True, blank=True
    )
    is_active = models.BooleanField(_("compte actif"), default=True)

    # Second factor (TOTP, RFC 6238).
    totp_secret = models.CharField(max_length=64, blank=True, editable=False)
    totp_confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    totp_last_counter = models.BigIntegerField(default=0, editable=False)

    # An administrator reset the second factor: a new one is enrolled at the next login,
    # whatever the roles require.
    totp_enrolment_required = models.BooleanField(default=False, editable=False)

    # Lockout after repeated failures from every address (accounts.lockout); shown to
    # administrators. `failed_logins` is no longer counted (kept for the column's history).
    failed_logins = models.PositiveIntegerField(default=0, editable=False)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)

    # Set by an administrator's password reset: the next login leads to the password change
    # page before anything else (PasswordChangeRequiredMiddleware).
    must_change_password = models.BooleanField(default=False, editable=False)

    # Holds (or held) a linked-persons assignment (LinkedPersonsAssignment): set when an
    # administrator opens an external professional's access. Only read to spare every
    # other user the query of those assignments; False never grants anything.
    has_linked_access = models.BooleanField(default=False, editable=False)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    objects = UserManager()

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("professionnel")
        constraints = [
            models.UniqueConstraint(
                fields=["rpps"], condition=~Q(rpps=""), name="user_unique_rpps_when_set"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name.upper()}".strip()

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.first_name

    @property
    def has_totp(self) -> bool:
        return self.totp_confirmed_at is not None

    @property
    def national_id(self) -> str:
        """idNat used by national services: 8 + RPPS, or 0 + ADELI."""
        if self.rpps:
            return "8" + self.rpps
        if self.rpps_plus:
            return "8" + self.rpps_plus
        if self.adeli:
            return "0" + self.adeli
        return ""


def default_data_access() -> dict[str, str]:
    return {category.value: AccessLevel.NONE.value for category in DataCategory}


class Role(VersionedModel):
    """A role, as data: functional permissions and a data-category matrix."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("nom"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    permissions = models.JSONField(_("permissions"), default=list, blank=True)
    data_access = models.JSONField(_("accès par catégorie de données"), default=default_data_access)
    requires_totp = models.BooleanField(
        _("second facteur obligatoire"),
        default=False,
        help_text=_("Les titulaires de ce rôle doivent valider un code TOTP à chaque connexion."),
    )
    is_builtin = models.BooleanField(_("rôle livré par défaut"), default=False, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("rôle")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        unknown = [code for code in self.permissions if code not in CATALOGUE]
        if unknown:
            raise ValidationError({"permissions": _("Permissions inconnues : %s") % unknown})
        categories = {c.value for c in DataCategory}
        levels = {level.value for level in AccessLevel}
        if set(self.data_access) - categories or set(self.data_access.values()) - levels:
            raise ValidationError({"data_access": _("Matrice des catégories de données invalide.")})

    def level_for(self, category: DataCategory | str) -> str:
        return self.data_access.get(str(category), AccessLevel.NONE.value)


class AssignmentStatus(models.TextChoices):
    """Whether an assignment is in force. Only ACTIVE ones grant anything (`active_on`)."""

    ACTIVE = "active", _("en vigueur")
    PENDING = "pending", _("en attente d'approbation")
    # The request was refused, cancelled or expired: the assignment never took effect.
    WITHDRAWN = "withdrawn", _("non accordée")


class AssignmentQuerySet(models.QuerySet["Assignment"]):
    def active_on(self, day: dt.date | None = None) -> AssignmentQuerySet:
        """Assignments in force on `day`: approved, started, not ended. Every access
        decision reads assignments through here, so a pending one never counts."""
        day = day or timezone.localdate()
        return self.filter(
            Q(status=AssignmentStatus.ACTIVE),
            Q(start_date__lte=day),
            Q(end_date__isnull=True) | Q(end_date__gte=day),
        )


class Assignment(VersionedModel):
    """A user holds a role in the whole organisation, one facility, or one unit, for a period."""

    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("professionnel")
    )
    role = models.ForeignKey(Role, on_delete=models.PROTECT, verbose_name=_("rôle"))
    organisation = models.ForeignKey(
        ManagingOrganisation, on_delete=models.PROTECT, verbose_name=_("organisme gestionnaire")
    )
    facility = models.ForeignKey(
        Facility,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("établissement"),
        help_text=_("Vide : toute l'organisation."),
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("unité"),
        help_text=_("Vide : tout l'établissement."),
    )
    start_date = models.DateField(_("début"), default=timezone.localdate)
    end_date = models.DateField(_("fin"), null=True, blank=True)
    status = models.CharField(
        _("état"),
        max_length=10,
        choices=AssignmentStatus,
        default=AssignmentStatus.ACTIVE,
        editable=False,
    )

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["user", "start_date"]
        verbose_name = _("affectation")
        indexes = [models.Index(fields=["user", "end_date"])]

    def __str__(self) -> str:
        return f"{self.user} – {self.role} – {self.scope_label}"

    @property
    def scope_label(self) -> str:
        if self.unit_id:
            return str(self.unit)
        if self.facility_id:
            return str(self.facility)
        return str(self.organisation)

    def clean(self) -> None:
        errors = {}
        if self.unit_id and self.unit.facility_id != self.facility_id:
            errors["unit"] = _("L'unité doit appartenir à l'établissement choisi.")
        if self.facility_id and self.facility.organisation_id != self.organisation_id:
            errors["facility"] = _("L'établissement doit appartenir à l'organisme choisi.")
        if self.end_date and self.start_date and self.end_date < self.start_date:
            errors["end_date"] = _("La fin de l'affectation ne peut précéder son début.")
        if errors:
            raise ValidationError(errors)


class GrantKind(models.TextChoices):
    ASSIGNMENT = "assignment", _("nouvelle affectation")
    ROLE_CHANGE = "role_change", _("élargissement d'un rôle")
    REACTIVATION = "reactivation", _("réactivation d'un compte")
    LOGIN_EMAIL = "login_email", _("changement d'adresse de connexion")
    LINKED_ACCESS = (
        "linked_access",
        _("accès d'un professionnel extérieur aux personnes qu'il suit"),
    )


class GrantStatus(models.TextChoices):
    PENDING = "pending", _("en attente d'approbation")
    APPROVED = "approved", _("approuvée")
    REFUSED = "refused", _("refusée")
    EXPIRED = "expired", _("expirée")
    CANCELLED = "cancelled", _("annulée")


class GrantRequest(VersionedModel):
    """A grant that widens access to persons' data, the audit trail or the grants, waiting
    for a second person's approval (accounts.grants). Until approved it grants nothing:
    the assignment it carries stays PENDING, the role keeps its former rights, the account
    stays closed, the login e-mail stays the old one (a new login address for an account
    with sensitive access would let whoever reads it take the account over).

    `approval_facility` says who may decide: a holder of `grants.approve` on that facility
    (or organisation-wide); empty, an organisation-wide holder only (the directeur
    général). Never deleted: decided, cancelled and expired requests are the history.
    """

    kind = models.CharField(_("nature"), max_length=20, choices=GrantKind)
    status = models.CharField(
        _("état"), max_length=10, choices=GrantStatus, default=GrantStatus.PENDING
    )
    organisation = models.ForeignKey(
        ManagingOrganisation, on_delete=models.PROTECT, verbose_name=_("organisme gestionnaire")
    )
    approval_facility = models.ForeignKey(
        Facility,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("établissement dont la direction approuve"),
    )
    # New assignment: the PENDING assignment; reactivation: the account.
    assignment = models.OneToOneField(
        Assignment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="grant_request",
        verbose_name=_("affectation"),
    )
    # External professional's access: the PENDING linked-persons assignment.
    linked_assignment = models.OneToOneField(
        "LinkedPersonsAssignment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="grant_request",
        verbose_name=_("accès aux personnes suivies"),
    )
    grantee = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="grant_requests_received",
        verbose_name=_("bénéficiaire"),
    )
    new_account = models.BooleanField(
        _("compte créé par le demandeur"),
        default=False,
        help_text=_("Le bénéficiaire a été créé avec cette demande, par le demandeur."),
    )
    # Role change: what the change adds (grant_rules.Widening), applied on approval.
    role = models.ForeignKey(
        Role, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("rôle")
    )
    added_permissions = models.JSONField(_("permissions ajoutées"), default=list, blank=True)
    raised_levels = models.JSONField(_("catégories élargies"), default=dict, blank=True)
    # Change of the login e-mail of an account with sensitive access (grantee): the
    # address when requested (notices go there; approval checks it is still the one)
    # and the address that replaces it once approved.
    old_email = models.EmailField(_("adresse de connexion actuelle"), blank=True)
    new_email = models.EmailField(_("nouvelle adresse de connexion"), blank=True)

    requested_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("demandée par")
    )
    requested_at = models.DateTimeField(_("demandée le"), default=timezone.now)
    expires_at = models.DateTimeField(_("expire le"))
    decided_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("décidée par"),
    )
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)
    reason = models.TextField(_("motif de la décision"), blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("demande d'habilitation")
        indexes = [models.Index(fields=["status", "organisation"], name="grant_status_org")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="assignment", assignment__isnull=False, grantee__isnull=False)
                    | Q(
                        kind="linked_access",
                        linked_assignment__isnull=False,
                        grantee__isnull=False,
                    )
                    | Q(kind="role_change", role__isnull=False)
                    | Q(kind="reactivation", grantee__isnull=False)
                    | (
                        Q(kind="login_email", grantee__isnull=False)
                        & ~Q(old_email="")
                        & ~Q(new_email="")
                    )
                ),
                name="grant_request_has_its_object",
            ),
            # One pending reactivation per account.
            models.UniqueConstraint(
                fields=["grantee"],
                condition=Q(kind="reactivation", status="pending"),
                name="grant_one_pending_reactivation",
            ),
            # One pending change of login e-mail per account.
            models.UniqueConstraint(
                fields=["grantee"],
                condition=Q(kind="login_email", status="pending"),
                name="grant_one_pending_login_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} n° {self.pk}"

    def is_open(self, now: dt.datetime | None = None) -> bool:
        """Pending and not past its expiry: the only state in which it can be approved."""
        return self.status == GrantStatus.PENDING and self.expires_at > (now or timezone.now())

    @property
    def shown_status(self) -> str:
        """The status as the pages say it: a pending request past its expiry is expired,
        even before the nightly job stores it so."""
        if self.status == GrantStatus.PENDING and not self.is_open():
            return str(GrantStatus.EXPIRED.label)
        return str(self.get_status_display())


class BreakGlassGrant(models.Model):
    """Time-limited access to one person's record outside the user's scope."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="break_glass_grants")
    person = models.ForeignKey(
        "persons.Person", on_delete=models.PROTECT, related_name="break_glass_grants"
    )
    reason = models.TextField(_("motif"))
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user", "person", "expires_at"])]
        verbose_name = _("accès exceptionnel")

    def is_current(self) -> bool:
        return self.expires_at > timezone.now()


class LoginFailure(models.Model):
    """A failed login (password or second factor), for the throttles of accounts.lockout.

    Holds no e-mail, only a hash of the typed one: unknown e-mails are counted exactly
    like accounts, so throttling tells nothing about which accounts exist.
    """

    address = models.GenericIPAddressField(null=True)
    account_hash = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["address", "at"]),
            models.Index(fields=["account_hash", "address", "at"]),
            models.Index(fields=["account_hash", "at"]),
        ]


class LockScope(models.TextChoices):
    PAIR = "pair", _("cette adresse e-mail depuis ce poste")
    ACCOUNT = "account", _("cette adresse e-mail depuis tout poste")


class LoginLock(models.Model):
    """Logins with an e-mail (hash) refused until `until`: from one address (PAIR) or from
    every address (ACCOUNT). Written the same way for unknown e-mails as for accounts."""

    account_hash = models.CharField(max_length=64)
    scope = models.CharField(max_length=7, choices=LockScope)
    address = models.GenericIPAddressField(null=True)
    until = models.DateTimeField()
    failures = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["account_hash", "until"])]


class PasswordResetRequest(models.Model):
    """A password reset request, for its throttles (per address and per e-mail hash)."""

    address = models.GenericIPAddressField(null=True)
    account_hash = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["address", "at"]),
            models.Index(fields=["account_hash", "at"]),
        ]


class LinkedAssignmentQuerySet(models.QuerySet["LinkedPersonsAssignment"]):
    def active_on(self, day: dt.date | None = None) -> LinkedAssignmentQuerySet:
        """Linked-persons assignments in force on `day` (approved, started, not ended):
        one waiting for its second person's approval grants nothing."""
        day = day or timezone.localdate()
        return self.filter(
            Q(status=AssignmentStatus.ACTIVE),
            Q(start_date__lte=day),
            Q(end_date__isnull=True) | Q(end_date__gte=day),
        )

    def not_ended(self, day: dt.date | None = None) -> LinkedAssignmentQuerySet:
        """In force, pending or still to come (never a withdrawn one): such an account
        logs in with PSC only."""
        day = day or timezone.localdate()
        return self.exclude(status=AssignmentStatus.WITHDRAWN).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=day)
        )


class LinkedPersonsAssignment(VersionedModel):
    """A role held by an external professional (médecin traitant, infirmier libéral…) on
    the persons they follow, not on a facility.

    Kept apart from `Assignment` on purpose: every query and rule written for assignments
    reads a null facility as "the whole organisation"; a row here never reaches those.
    The persons come from the directory's current links to the professional's entry
    (`accounts.linked_persons`), and only person-level permissions are drawn from it
    (`accounts.access`). The account logs in with Pro Santé Connect only.
    """

    user = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        related_name="linked_assignments",
        verbose_name=_("professionnel"),
    )
    role = models.ForeignKey(Role, on_delete=models.PROTECT, verbose_name=_("rôle"))
    organisation = models.ForeignKey(
        ManagingOrganisation, on_delete=models.PROTECT, verbose_name=_("organisme gestionnaire")
    )
    start_date = models.DateField(_("début"), default=timezone.localdate)
    end_date = models.DateField(_("fin"), null=True, blank=True)
    # PENDING until a second person approves its GrantRequest (accounts.grants).
    status = models.CharField(
        _("état"), max_length=10, choices=AssignmentStatus, default=AssignmentStatus.ACTIVE
    )
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("créée par")
    )

    objects = LinkedAssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["user", "start_date"]
        verbose_name = _("affectation aux personnes suivies")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="linked_assignment_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.role} – {self.scope_label}"

    scope_label = _("personnes suivies (professionnel extérieur)")
