import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BindingStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BINDING_STATUS_UNSPECIFIED: _ClassVar[BindingStatus]
    BINDING_STATUS_AWAITING_PAIRING: _ClassVar[BindingStatus]
    BINDING_STATUS_PAIRED: _ClassVar[BindingStatus]
    BINDING_STATUS_CONNECTED: _ClassVar[BindingStatus]
    BINDING_STATUS_DEGRADED: _ClassVar[BindingStatus]
    BINDING_STATUS_NEEDS_RECONNECT: _ClassVar[BindingStatus]
    BINDING_STATUS_DISCONNECTED: _ClassVar[BindingStatus]

class Environment(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ENVIRONMENT_UNSPECIFIED: _ClassVar[Environment]
    ENVIRONMENT_PRODUCTION: _ClassVar[Environment]
    ENVIRONMENT_SANDBOX: _ClassVar[Environment]

class ChoiceProblem(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHOICE_PROBLEM_UNSPECIFIED: _ClassVar[ChoiceProblem]
    CHOICE_PROBLEM_ARCHIVED: _ClassVar[ChoiceProblem]
    CHOICE_PROBLEM_DELETED: _ClassVar[ChoiceProblem]
    CHOICE_PROBLEM_NOT_ALLOWED: _ClassVar[ChoiceProblem]

class EventKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_KIND_UNSPECIFIED: _ClassVar[EventKind]
    EVENT_KIND_CREATED: _ClassVar[EventKind]
    EVENT_KIND_PAIRED: _ClassVar[EventKind]
    EVENT_KIND_PAIRING_REFUSED: _ClassVar[EventKind]
    EVENT_KIND_PROFILE_UPDATED: _ClassVar[EventKind]
    EVENT_KIND_CONNECTED: _ClassVar[EventKind]
    EVENT_KIND_TOKEN_REFRESHED: _ClassVar[EventKind]
    EVENT_KIND_REFRESH_FAILED: _ClassVar[EventKind]
    EVENT_KIND_REFRESH_EXHAUSTED: _ClassVar[EventKind]
    EVENT_KIND_RECOVERED: _ClassVar[EventKind]
    EVENT_KIND_NEEDS_RECONNECT: _ClassVar[EventKind]
    EVENT_KIND_REFERENCE_REFRESHED: _ClassVar[EventKind]
    EVENT_KIND_CONNECT_REFUSED: _ClassVar[EventKind]
    EVENT_KIND_SETTINGS_CHANGED: _ClassVar[EventKind]
    EVENT_KIND_CHOICE_UNAVAILABLE: _ClassVar[EventKind]
    EVENT_KIND_DISCONNECTED: _ClassVar[EventKind]
    EVENT_KIND_UNPAIRED: _ClassVar[EventKind]
    EVENT_KIND_ENVIRONMENT_CHANGED: _ClassVar[EventKind]
BINDING_STATUS_UNSPECIFIED: BindingStatus
BINDING_STATUS_AWAITING_PAIRING: BindingStatus
BINDING_STATUS_PAIRED: BindingStatus
BINDING_STATUS_CONNECTED: BindingStatus
BINDING_STATUS_DEGRADED: BindingStatus
BINDING_STATUS_NEEDS_RECONNECT: BindingStatus
BINDING_STATUS_DISCONNECTED: BindingStatus
ENVIRONMENT_UNSPECIFIED: Environment
ENVIRONMENT_PRODUCTION: Environment
ENVIRONMENT_SANDBOX: Environment
CHOICE_PROBLEM_UNSPECIFIED: ChoiceProblem
CHOICE_PROBLEM_ARCHIVED: ChoiceProblem
CHOICE_PROBLEM_DELETED: ChoiceProblem
CHOICE_PROBLEM_NOT_ALLOWED: ChoiceProblem
EVENT_KIND_UNSPECIFIED: EventKind
EVENT_KIND_CREATED: EventKind
EVENT_KIND_PAIRED: EventKind
EVENT_KIND_PAIRING_REFUSED: EventKind
EVENT_KIND_PROFILE_UPDATED: EventKind
EVENT_KIND_CONNECTED: EventKind
EVENT_KIND_TOKEN_REFRESHED: EventKind
EVENT_KIND_REFRESH_FAILED: EventKind
EVENT_KIND_REFRESH_EXHAUSTED: EventKind
EVENT_KIND_RECOVERED: EventKind
EVENT_KIND_NEEDS_RECONNECT: EventKind
EVENT_KIND_REFERENCE_REFRESHED: EventKind
EVENT_KIND_CONNECT_REFUSED: EventKind
EVENT_KIND_SETTINGS_CHANGED: EventKind
EVENT_KIND_CHOICE_UNAVAILABLE: EventKind
EVENT_KIND_DISCONNECTED: EventKind
EVENT_KIND_UNPAIRED: EventKind
EVENT_KIND_ENVIRONMENT_CHANGED: EventKind

class GetFreshTokenRequest(_message.Message):
    __slots__ = ("binding_id", "min_valid_for")
    BINDING_ID_FIELD_NUMBER: _ClassVar[int]
    MIN_VALID_FOR_FIELD_NUMBER: _ClassVar[int]
    binding_id: str
    min_valid_for: _duration_pb2.Duration
    def __init__(self, binding_id: _Optional[str] = ..., min_valid_for: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class GetFreshTokenResponse(_message.Message):
    __slots__ = ("access_token", "expires_at", "tenant_id", "api_base_url", "binding_status")
    ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    API_BASE_URL_FIELD_NUMBER: _ClassVar[int]
    BINDING_STATUS_FIELD_NUMBER: _ClassVar[int]
    access_token: str
    expires_at: _timestamp_pb2.Timestamp
    tenant_id: str
    api_base_url: str
    binding_status: BindingStatus
    def __init__(self, access_token: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., tenant_id: _Optional[str] = ..., api_base_url: _Optional[str] = ..., binding_status: _Optional[_Union[BindingStatus, str]] = ...) -> None: ...

class GetRefDataRequest(_message.Message):
    __slots__ = ("binding_id", "force_refresh", "if_revision")
    BINDING_ID_FIELD_NUMBER: _ClassVar[int]
    FORCE_REFRESH_FIELD_NUMBER: _ClassVar[int]
    IF_REVISION_FIELD_NUMBER: _ClassVar[int]
    binding_id: str
    force_refresh: bool
    if_revision: int
    def __init__(self, binding_id: _Optional[str] = ..., force_refresh: _Optional[bool] = ..., if_revision: _Optional[int] = ...) -> None: ...

class GetRefDataResponse(_message.Message):
    __slots__ = ("tenant_id", "environment", "organisation", "income_accounts", "bank_accounts", "payment_target_accounts", "accounts", "tax_rates", "tracking_categories", "items", "branding_themes", "currencies", "fetched_at", "extended_fetched_at", "revision", "unchanged")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    ORGANISATION_FIELD_NUMBER: _ClassVar[int]
    INCOME_ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    BANK_ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_TARGET_ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    TAX_RATES_FIELD_NUMBER: _ClassVar[int]
    TRACKING_CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    BRANDING_THEMES_FIELD_NUMBER: _ClassVar[int]
    CURRENCIES_FIELD_NUMBER: _ClassVar[int]
    FETCHED_AT_FIELD_NUMBER: _ClassVar[int]
    EXTENDED_FETCHED_AT_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    environment: Environment
    organisation: Organisation
    income_accounts: _containers.RepeatedCompositeFieldContainer[Account]
    bank_accounts: _containers.RepeatedCompositeFieldContainer[Account]
    payment_target_accounts: _containers.RepeatedCompositeFieldContainer[Account]
    accounts: _containers.RepeatedCompositeFieldContainer[Account]
    tax_rates: _containers.RepeatedCompositeFieldContainer[TaxRate]
    tracking_categories: _containers.RepeatedCompositeFieldContainer[TrackingCategory]
    items: _containers.RepeatedCompositeFieldContainer[Item]
    branding_themes: _containers.RepeatedCompositeFieldContainer[BrandingTheme]
    currencies: _containers.RepeatedCompositeFieldContainer[Currency]
    fetched_at: _timestamp_pb2.Timestamp
    extended_fetched_at: _timestamp_pb2.Timestamp
    revision: int
    unchanged: bool
    def __init__(self, tenant_id: _Optional[str] = ..., environment: _Optional[_Union[Environment, str]] = ..., organisation: _Optional[_Union[Organisation, _Mapping]] = ..., income_accounts: _Optional[_Iterable[_Union[Account, _Mapping]]] = ..., bank_accounts: _Optional[_Iterable[_Union[Account, _Mapping]]] = ..., payment_target_accounts: _Optional[_Iterable[_Union[Account, _Mapping]]] = ..., accounts: _Optional[_Iterable[_Union[Account, _Mapping]]] = ..., tax_rates: _Optional[_Iterable[_Union[TaxRate, _Mapping]]] = ..., tracking_categories: _Optional[_Iterable[_Union[TrackingCategory, _Mapping]]] = ..., items: _Optional[_Iterable[_Union[Item, _Mapping]]] = ..., branding_themes: _Optional[_Iterable[_Union[BrandingTheme, _Mapping]]] = ..., currencies: _Optional[_Iterable[_Union[Currency, _Mapping]]] = ..., fetched_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., extended_fetched_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revision: _Optional[int] = ..., unchanged: _Optional[bool] = ...) -> None: ...

class Organisation(_message.Message):
    __slots__ = ("organisation_id", "name", "legal_name", "base_currency", "country_code", "short_code", "is_demo_company", "edition")
    ORGANISATION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LEGAL_NAME_FIELD_NUMBER: _ClassVar[int]
    BASE_CURRENCY_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_CODE_FIELD_NUMBER: _ClassVar[int]
    SHORT_CODE_FIELD_NUMBER: _ClassVar[int]
    IS_DEMO_COMPANY_FIELD_NUMBER: _ClassVar[int]
    EDITION_FIELD_NUMBER: _ClassVar[int]
    organisation_id: str
    name: str
    legal_name: str
    base_currency: str
    country_code: str
    short_code: str
    is_demo_company: bool
    edition: str
    def __init__(self, organisation_id: _Optional[str] = ..., name: _Optional[str] = ..., legal_name: _Optional[str] = ..., base_currency: _Optional[str] = ..., country_code: _Optional[str] = ..., short_code: _Optional[str] = ..., is_demo_company: _Optional[bool] = ..., edition: _Optional[str] = ...) -> None: ...

class Account(_message.Message):
    __slots__ = ("account_id", "code", "name", "type", "account_class", "status", "bank_account_type", "enable_payments_to_account", "system_account", "tax_type", "currency_code")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_CLASS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    BANK_ACCOUNT_TYPE_FIELD_NUMBER: _ClassVar[int]
    ENABLE_PAYMENTS_TO_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    TAX_TYPE_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    code: str
    name: str
    type: str
    account_class: str
    status: str
    bank_account_type: str
    enable_payments_to_account: bool
    system_account: str
    tax_type: str
    currency_code: str
    def __init__(self, account_id: _Optional[str] = ..., code: _Optional[str] = ..., name: _Optional[str] = ..., type: _Optional[str] = ..., account_class: _Optional[str] = ..., status: _Optional[str] = ..., bank_account_type: _Optional[str] = ..., enable_payments_to_account: _Optional[bool] = ..., system_account: _Optional[str] = ..., tax_type: _Optional[str] = ..., currency_code: _Optional[str] = ...) -> None: ...

class TaxRate(_message.Message):
    __slots__ = ("tax_type", "name", "status", "can_apply_to_revenue", "effective_rate")
    TAX_TYPE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CAN_APPLY_TO_REVENUE_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_RATE_FIELD_NUMBER: _ClassVar[int]
    tax_type: str
    name: str
    status: str
    can_apply_to_revenue: bool
    effective_rate: str
    def __init__(self, tax_type: _Optional[str] = ..., name: _Optional[str] = ..., status: _Optional[str] = ..., can_apply_to_revenue: _Optional[bool] = ..., effective_rate: _Optional[str] = ...) -> None: ...

class TrackingCategory(_message.Message):
    __slots__ = ("tracking_category_id", "name", "status", "options")
    TRACKING_CATEGORY_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    tracking_category_id: str
    name: str
    status: str
    options: _containers.RepeatedCompositeFieldContainer[TrackingOption]
    def __init__(self, tracking_category_id: _Optional[str] = ..., name: _Optional[str] = ..., status: _Optional[str] = ..., options: _Optional[_Iterable[_Union[TrackingOption, _Mapping]]] = ...) -> None: ...

class TrackingOption(_message.Message):
    __slots__ = ("tracking_option_id", "name", "status")
    TRACKING_OPTION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    tracking_option_id: str
    name: str
    status: str
    def __init__(self, tracking_option_id: _Optional[str] = ..., name: _Optional[str] = ..., status: _Optional[str] = ...) -> None: ...

class Item(_message.Message):
    __slots__ = ("item_id", "code", "name", "is_sold", "sales_account_code", "sales_tax_type")
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    IS_SOLD_FIELD_NUMBER: _ClassVar[int]
    SALES_ACCOUNT_CODE_FIELD_NUMBER: _ClassVar[int]
    SALES_TAX_TYPE_FIELD_NUMBER: _ClassVar[int]
    item_id: str
    code: str
    name: str
    is_sold: bool
    sales_account_code: str
    sales_tax_type: str
    def __init__(self, item_id: _Optional[str] = ..., code: _Optional[str] = ..., name: _Optional[str] = ..., is_sold: _Optional[bool] = ..., sales_account_code: _Optional[str] = ..., sales_tax_type: _Optional[str] = ...) -> None: ...

class BrandingTheme(_message.Message):
    __slots__ = ("branding_theme_id", "name", "sort_order")
    BRANDING_THEME_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SORT_ORDER_FIELD_NUMBER: _ClassVar[int]
    branding_theme_id: str
    name: str
    sort_order: int
    def __init__(self, branding_theme_id: _Optional[str] = ..., name: _Optional[str] = ..., sort_order: _Optional[int] = ...) -> None: ...

class Currency(_message.Message):
    __slots__ = ("code", "description")
    CODE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    code: str
    description: str
    def __init__(self, code: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class GetBindingRequest(_message.Message):
    __slots__ = ("binding_id",)
    BINDING_ID_FIELD_NUMBER: _ClassVar[int]
    binding_id: str
    def __init__(self, binding_id: _Optional[str] = ...) -> None: ...

class GetBindingResponse(_message.Message):
    __slots__ = ("binding",)
    BINDING_FIELD_NUMBER: _ClassVar[int]
    binding: Binding
    def __init__(self, binding: _Optional[_Union[Binding, _Mapping]] = ...) -> None: ...

class Binding(_message.Message):
    __slots__ = ("binding_id", "status", "status_reason", "organisation", "environment", "magento_host", "sync_policy", "reference_fetched_at", "unavailable_choices", "granted_scopes", "broad_scopes", "account_id")
    BINDING_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_REASON_FIELD_NUMBER: _ClassVar[int]
    ORGANISATION_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    MAGENTO_HOST_FIELD_NUMBER: _ClassVar[int]
    SYNC_POLICY_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FETCHED_AT_FIELD_NUMBER: _ClassVar[int]
    UNAVAILABLE_CHOICES_FIELD_NUMBER: _ClassVar[int]
    GRANTED_SCOPES_FIELD_NUMBER: _ClassVar[int]
    BROAD_SCOPES_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    binding_id: str
    status: BindingStatus
    status_reason: str
    organisation: XeroOrganisation
    environment: Environment
    magento_host: str
    sync_policy: SyncPolicy
    reference_fetched_at: _timestamp_pb2.Timestamp
    unavailable_choices: _containers.RepeatedCompositeFieldContainer[UnavailableChoice]
    granted_scopes: _containers.RepeatedScalarFieldContainer[str]
    broad_scopes: bool
    account_id: str
    def __init__(self, binding_id: _Optional[str] = ..., status: _Optional[_Union[BindingStatus, str]] = ..., status_reason: _Optional[str] = ..., organisation: _Optional[_Union[XeroOrganisation, _Mapping]] = ..., environment: _Optional[_Union[Environment, str]] = ..., magento_host: _Optional[str] = ..., sync_policy: _Optional[_Union[SyncPolicy, _Mapping]] = ..., reference_fetched_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., unavailable_choices: _Optional[_Iterable[_Union[UnavailableChoice, _Mapping]]] = ..., granted_scopes: _Optional[_Iterable[str]] = ..., broad_scopes: _Optional[bool] = ..., account_id: _Optional[str] = ...) -> None: ...

class UnavailableChoice(_message.Message):
    __slots__ = ("setting", "account_id", "account_code", "problem", "message")
    SETTING_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_CODE_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    setting: str
    account_id: str
    account_code: str
    problem: ChoiceProblem
    message: str
    def __init__(self, setting: _Optional[str] = ..., account_id: _Optional[str] = ..., account_code: _Optional[str] = ..., problem: _Optional[_Union[ChoiceProblem, str]] = ..., message: _Optional[str] = ...) -> None: ...

class XeroOrganisation(_message.Message):
    __slots__ = ("tenant_id", "tenant_name")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_NAME_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    tenant_name: str
    def __init__(self, tenant_id: _Optional[str] = ..., tenant_name: _Optional[str] = ...) -> None: ...

class SyncPolicy(_message.Message):
    __slots__ = ("website_codes", "store_codes", "default_income_account_id", "default_bank_account_id", "payment_method_accounts", "product_type_accounts")
    class PaymentMethodAccountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class ProductTypeAccountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    WEBSITE_CODES_FIELD_NUMBER: _ClassVar[int]
    STORE_CODES_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_INCOME_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_BANK_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_METHOD_ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_TYPE_ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    website_codes: _containers.RepeatedScalarFieldContainer[str]
    store_codes: _containers.RepeatedScalarFieldContainer[str]
    default_income_account_id: str
    default_bank_account_id: str
    payment_method_accounts: _containers.ScalarMap[str, str]
    product_type_accounts: _containers.ScalarMap[str, str]
    def __init__(self, website_codes: _Optional[_Iterable[str]] = ..., store_codes: _Optional[_Iterable[str]] = ..., default_income_account_id: _Optional[str] = ..., default_bank_account_id: _Optional[str] = ..., payment_method_accounts: _Optional[_Mapping[str, str]] = ..., product_type_accounts: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ReportXeroAuthFailureRequest(_message.Message):
    __slots__ = ("binding_id", "http_status", "token_sha256")
    BINDING_ID_FIELD_NUMBER: _ClassVar[int]
    HTTP_STATUS_FIELD_NUMBER: _ClassVar[int]
    TOKEN_SHA256_FIELD_NUMBER: _ClassVar[int]
    binding_id: str
    http_status: int
    token_sha256: str
    def __init__(self, binding_id: _Optional[str] = ..., http_status: _Optional[int] = ..., token_sha256: _Optional[str] = ...) -> None: ...

class ReportXeroAuthFailureResponse(_message.Message):
    __slots__ = ("binding_status", "newer_token_available")
    BINDING_STATUS_FIELD_NUMBER: _ClassVar[int]
    NEWER_TOKEN_AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    binding_status: BindingStatus
    newer_token_available: bool
    def __init__(self, binding_status: _Optional[_Union[BindingStatus, str]] = ..., newer_token_available: _Optional[bool] = ...) -> None: ...

class BindingFilter(_message.Message):
    __slots__ = ("binding_ids", "account_id", "statuses", "kinds")
    BINDING_IDS_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    binding_ids: _containers.RepeatedScalarFieldContainer[str]
    account_id: str
    statuses: _containers.RepeatedScalarFieldContainer[BindingStatus]
    kinds: _containers.RepeatedScalarFieldContainer[EventKind]
    def __init__(self, binding_ids: _Optional[_Iterable[str]] = ..., account_id: _Optional[str] = ..., statuses: _Optional[_Iterable[_Union[BindingStatus, str]]] = ..., kinds: _Optional[_Iterable[_Union[EventKind, str]]] = ...) -> None: ...

class ListBindingsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "filter")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    filter: BindingFilter
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., filter: _Optional[_Union[BindingFilter, _Mapping]] = ...) -> None: ...

class ListBindingsResponse(_message.Message):
    __slots__ = ("bindings", "next_page_token", "revision")
    BINDINGS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    bindings: _containers.RepeatedCompositeFieldContainer[Binding]
    next_page_token: str
    revision: int
    def __init__(self, bindings: _Optional[_Iterable[_Union[Binding, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., revision: _Optional[int] = ...) -> None: ...

class WatchBindingsRequest(_message.Message):
    __slots__ = ("after_revision", "filter")
    AFTER_REVISION_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    after_revision: int
    filter: BindingFilter
    def __init__(self, after_revision: _Optional[int] = ..., filter: _Optional[_Union[BindingFilter, _Mapping]] = ...) -> None: ...

class WatchBindingsResponse(_message.Message):
    __slots__ = ("event", "bookmark")
    EVENT_FIELD_NUMBER: _ClassVar[int]
    BOOKMARK_FIELD_NUMBER: _ClassVar[int]
    event: BindingEvent
    bookmark: Bookmark
    def __init__(self, event: _Optional[_Union[BindingEvent, _Mapping]] = ..., bookmark: _Optional[_Union[Bookmark, _Mapping]] = ...) -> None: ...

class BindingEvent(_message.Message):
    __slots__ = ("revision", "binding_id", "account_id", "kind", "status", "reason", "occurred_at")
    REVISION_FIELD_NUMBER: _ClassVar[int]
    BINDING_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    revision: int
    binding_id: str
    account_id: str
    kind: EventKind
    status: BindingStatus
    reason: str
    occurred_at: _timestamp_pb2.Timestamp
    def __init__(self, revision: _Optional[int] = ..., binding_id: _Optional[str] = ..., account_id: _Optional[str] = ..., kind: _Optional[_Union[EventKind, str]] = ..., status: _Optional[_Union[BindingStatus, str]] = ..., reason: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Bookmark(_message.Message):
    __slots__ = ("revision",)
    REVISION_FIELD_NUMBER: _ClassVar[int]
    revision: int
    def __init__(self, revision: _Optional[int] = ...) -> None: ...
