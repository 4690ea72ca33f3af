"""The deal templates a new company (and the demo) starts with (DEAL-1): a B2B connection
sale and an equipment supply. Reference data the users see, so the names are Russian."""

from __future__ import annotations

from decimal import Decimal

import attrs

from ecrm_core.attributes import AttributeDef, AttributeType
from ecrm_core.deals.model import DOCUMENT_ATTACHED, INVOICE_ISSUED, INVOICE_PAID
from ecrm_core.workflow.model import (
    ApprovalObtained,
    ConditionHolds,
    Outcome,
    PlanPayment,
    PlanTask,
    Recipient,
    RequiredFields,
    StateDef,
    TransitionDef,
)


@attrs.frozen
class TemplateDefinition:
    code: str
    name: str
    description: str
    attributes: tuple[AttributeDef, ...]
    states: tuple[StateDef, ...]
    transitions: tuple[TransitionDef, ...]


def _lose(from_state: str) -> TransitionDef:
    return TransitionDef(from_state, "lost", "Проиграна", reason_required=True)


CONNECTION = TemplateDefinition(
    code="b2b_connection", name="Подключение B2B-клиента",
    description="Продажа подключения услуг связи юридическому лицу: от первого контакта "
                "до подписания договора и оплаты подключения.",
    attributes=(
        AttributeDef("address", "Адрес подключения"),
        AttributeDef("bandwidth", "Скорость, Мбит/с", AttributeType.NUMBER),
        AttributeDef("decision_maker", "Лицо, принимающее решение"),
        AttributeDef("competitor", "Текущий провайдер"),
    ),
    states=(
        StateDef("lead", "Первичный контакт", 10, initial=True, colour="#90a4ae",
                 norm_days=3, probability=10,
                 on_enter=(PlanTask("call", 4, "Квалифицировать потребность"),)),
        StateDef("survey", "Обследование", 20, colour="#1e88e5", norm_days=5,
                 probability=25, required=("address",),
                 visible=("address", "bandwidth", "competitor"),
                 on_enter=(PlanTask("meeting", 48, "Выезд на обследование"),)),
        StateDef("proposal", "Коммерческое предложение", 30, colour="#8e24aa", norm_days=5,
                 probability=50, required=("address", "bandwidth"),
                 leave_guards=(ConditionHolds(DOCUMENT_ATTACHED),),
                 on_enter=(PlanTask("presentation", 72, "Презентовать КП"),)),
        StateDef("negotiation", "Согласование договора", 40, colour="#fb8c00", norm_days=10,
                 probability=75, required=("decision_maker",),
                 on_enter=(PlanTask("call", 24, "Согласовать условия", Recipient.HEAD),)),
        StateDef("payment", "Ожидание оплаты", 50, colour="#f9a825", norm_days=10,
                 probability=90,
                 on_enter=(PlanPayment("amount", Decimal(100), 10),)),
        StateDef("won", "Успешно", 60, final=True, colour="#43a047", probability=100,
                 outcome=Outcome.WON),
        StateDef("lost", "Проиграна", 70, final=True, colour="#9e9e9e", probability=0,
                 outcome=Outcome.LOST),
    ),
    transitions=(
        TransitionDef("lead", "survey", "Назначить обследование"),
        TransitionDef("survey", "proposal", "Подготовить КП"),
        TransitionDef("proposal", "negotiation", "КП принято"),
        TransitionDef("negotiation", "proposal", "Вернуть к КП"),
        TransitionDef("negotiation", "payment", "Договор подписан",
                      guards=(RequiredFields(("amount",)), ConditionHolds(INVOICE_ISSUED))),
        TransitionDef("payment", "won", "Оплачено", guards=(ConditionHolds(INVOICE_PAID),)),
        _lose("lead"), _lose("survey"), _lose("proposal"), _lose("negotiation"),
        _lose("payment"),
    ),
)

SUPPLY = TemplateDefinition(
    code="equipment_supply", name="Поставка оборудования",
    description="Поставка оборудования с предоплатой: заявка, счёт, согласование скидки "
                "руководителем, оплата, отгрузка.",
    attributes=(
        AttributeDef("equipment", "Оборудование"),
        AttributeDef("delivery_address", "Адрес доставки"),
        AttributeDef("discount", "Скидка, %", AttributeType.NUMBER),
    ),
    states=(
        StateDef("request", "Запрос", 10, initial=True, colour="#90a4ae", norm_days=2,
                 probability=20,
                 on_enter=(PlanTask("call", 2, "Уточнить состав поставки"),)),
        StateDef("quote", "Счёт выставлен", 20, colour="#1e88e5", norm_days=5,
                 probability=50, required=("equipment",),
                 leave_guards=(ApprovalObtained("discount"),),
                 on_enter=(PlanPayment("amount", Decimal(50), 5),)),
        StateDef("prepaid", "Предоплата получена", 30, colour="#f9a825", norm_days=10,
                 probability=90, required=("delivery_address",),
                 on_enter=(PlanPayment("amount", Decimal(50), 15),
                           PlanTask("other", 24, "Организовать отгрузку"))),
        StateDef("shipped", "Отгружено", 40, final=True, colour="#43a047", probability=100,
                 outcome=Outcome.WON),
        StateDef("lost", "Отказ", 50, final=True, colour="#9e9e9e", probability=0,
                 outcome=Outcome.LOST),
    ),
    transitions=(
        TransitionDef("request", "quote", "Выставить счёт",
                      guards=(RequiredFields(("amount",)),)),
        TransitionDef("quote", "prepaid", "Предоплата", guards=(ConditionHolds(INVOICE_ISSUED),)),
        TransitionDef("prepaid", "shipped", "Отгрузить"),
        _lose("request"), _lose("quote"), _lose("prepaid"),
    ),
)

DEFAULT_TEMPLATES: tuple[TemplateDefinition, ...] = (CONNECTION, SUPPLY)
