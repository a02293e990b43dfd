"""Three people at the source (regulation 一(二)1): two designated reviewers approve the unit's
data and the unit head signs it, so the head is neither of the two reviewers.

An approval involves two people: the reviewer who gave it and the person it counts for (the
same person, or the delegator when a delegate gave it; ``approval_principals``). A signature
involves the signer and the head they sign for (themself, or the head whose delegate they are).
The rule: nobody involved in the signature is involved in a counted approval. To keep that from
leaving a contribution that nobody can sign, a head of the unit (a person holding the head role
themself) may not be involved in an approval when no other head of the unit would be left free
to sign. See docs/roles.md.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import UnitRole
from accounts.selectors import unit_role_holders
from collection.models import Contribution


def involved(principals: dict[int, int]) -> set[int]:
    """Everyone an approval involves: the reviewers who gave them and those they count for."""
    return set(principals) | set(principals.values())


def approve_leaves_a_signer(
    c: Contribution, actor: User, for_whom: User | None, principals: dict[int, int]
) -> None:
    """Refuse an approval that involves a head of the unit (as the reviewer or the person it
    counts for) when afterwards no head of the unit would be free of the approvals to sign."""
    this = {actor.pk} | ({for_whom.pk} if for_whom is not None else set())
    heads = {h.pk for h in unit_role_holders(c.unit, UnitRole.HEAD)}
    if not this & heads or heads - involved(principals) - this:
        return
    rest = _(
        "The regulation wants two reviewers and the head to be three different people: leave "
        "the approval to two other reviewers (if the unit has too few, ask the office to assign "
        "another)."
    )
    if actor.pk in heads:
        raise ValidationError(
            _(
                "You are a head of %(unit)s: if you approved its data as a source reviewer, no "
                "head of %(unit)s who has not approved it would be left to sign it off. %(rest)s"
            )
            % {"unit": c.unit.name, "rest": rest}
        )
    assert for_whom is not None
    raise ValidationError(
        _(
            "%(person)s, for whom you approve, is a head of %(unit)s: if the approval counted for "
            "them, no head of %(unit)s who has not approved it would be left to sign it off. "
            "%(rest)s"
        )
        % {"person": for_whom.name, "unit": c.unit.name, "rest": rest}
    )


def sign_by_a_third_person(
    c: Contribution, actor: User, for_whom: User | None, principals: dict[int, int]
) -> None:
    """Refuse a signature by someone involved in a counted approval, or given for a head who
    is; the message names the heads who may sign instead, or says to return it."""
    taken = involved(principals)
    if actor.pk not in taken and (for_whom is None or for_whom.pk not in taken):
        return
    assert c.current_version is not None
    number = c.current_version.number
    remedy = _remedy(c, taken | {actor.pk})
    if actor.pk in principals:
        raise ValidationError(
            _(
                "You approved version %(number)s as a source reviewer, so you may not also sign "
                "it off: the regulation wants two reviewers and the head to be three different "
                "people. %(remedy)s"
            )
            % {"number": number, "remedy": remedy}
        )
    if actor.pk in taken:
        delegate = next(r for r, p in principals.items() if p == actor.pk)
        raise ValidationError(
            _(
                "Version %(number)s was approved for you as a source reviewer by your delegate "
                "%(person)s, so you may not also sign it off: the regulation wants two reviewers "
                "and the head to be three different people. %(remedy)s"
            )
            % {"number": number, "person": User.objects.get(pk=delegate).name, "remedy": remedy}
        )
    assert for_whom is not None
    raise ValidationError(
        _(
            "%(person)s, for whom you sign, approved version %(number)s as a source reviewer "
            "(themself or through a delegate), so it cannot be signed off in their name: the "
            "regulation wants two reviewers and the head to be three different people. "
            "%(remedy)s"
        )
        % {"person": for_whom.name, "number": number, "remedy": remedy}
    )


def _remedy(c: Contribution, taken: set[int]) -> str:
    free = [h for h in unit_role_holders(c.unit, UnitRole.HEAD) if h.pk not in taken]
    if free:
        return _(
            "%(heads)s, head of %(unit)s, did not approve it and may sign it instead; or return "
            "it to drafting so that two other reviewers approve it."
        ) % {"heads": "、".join(h.name or h.username for h in free), "unit": c.unit.name}
    return _(
        "Return it to drafting with a reason: once it is submitted again, two reviewers other "
        "than the signer must approve it (if %(unit)s has too few, ask the office to assign "
        "another reviewer)."
    ) % {"unit": c.unit.name}
