//! Named, injectable deviations from the RFCs. Each is one realistic bug in
//! one area; the bug matrix test proves each makes at least one case fail.

use std::collections::BTreeSet;
use std::str::FromStr;

macro_rules! bugs {
    ($( $variant:ident = $name:literal, $area:literal, $desc:literal; )*) => {
        /// A bug the reference server can be started with.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Bug { $( $variant, )* }

        impl Bug {
            pub const ALL: &'static [Bug] = &[ $( Bug::$variant, )* ];

            pub fn name(self) -> &'static str {
                match self { $( Bug::$variant => $name, )* }
            }

            /// The suite area the bug breaks.
            pub fn area(self) -> &'static str {
                match self { $( Bug::$variant => $area, )* }
            }

            pub fn description(self) -> &'static str {
                match self { $( Bug::$variant => $desc, )* }
            }
        }
    };
}

bugs! {
    SpcMissingEtag = "spc-missing-etag", "discovery", "/ServiceProviderConfig omits the REQUIRED etag member";
    SpcWrongSchemas = "spc-wrong-schemas", "discovery", "/ServiceProviderConfig names the ResourceType schema URN in schemas";
    DiscoveryBareArray = "discovery-bare-array", "discovery", "/Schemas and /ResourceTypes return bare JSON arrays instead of ListResponses";
    ResourceTypeIncomplete = "resource-type-incomplete", "discovery", "the Group resource type lacks the REQUIRED endpoint";
    AuthSchemeUndescribed = "auth-scheme-undescribed", "discovery", "the authentication scheme in /ServiceProviderConfig lacks its REQUIRED description";
    DiscoveryRequiresAuth = "discovery-requires-auth", "discovery", "/ServiceProviderConfig refuses requests without credentials";
    DanglingExtension = "resource-type-dangling-schema", "discovery", "the User resource type lists an extension schema that /Schemas does not serve";
    DiscoveryFilterApplied = "discovery-filter-applied", "discovery", "/Schemas and /ResourceTypes apply filter, startIndex and count";
    EndpointAbsoluteUrl = "endpoint-absolute-url", "discovery", "ResourceType endpoints are absolute URLs instead of relative to the base URL";
    DiscoveryById404 = "discovery-by-id-404", "discovery", "GET /Schemas/{urn} and /ResourceTypes/{name} answer 404";
    SchemaTypeCapitalized = "schema-type-capitalized", "discovery", "/Schemas declares attribute types capitalised (\"String\")";
    SchemaUndescribed = "schema-undescribed", "discovery", "/Schemas gives the User schema, and its attributes, no name and no description";
    ResourceTypeUndescribed = "resource-type-undescribed", "discovery", "/ResourceTypes gives the resource types no description";
    ComplexWithoutSubAttributes = "complex-without-sub-attributes", "discovery", "/Schemas declares the last complex User attribute (x509Certificates; emails under the minimal shape) without its subAttributes";
    SchemasListApiMessages = "schemas-list-api-messages", "discovery", "/Schemas also serves the ListResponse message schema (urn:ietf:params:scim:api:messages:2.0:ListResponse)";
    CreateReturns200 = "create-returns-200", "crud", "POST answers 200 instead of 201 Created";
    CreateNoLocation = "create-no-location", "crud", "POST answers without a Location header";
    LocationWithoutBasePath = "location-without-base-path", "crud", "Location and Content-Location leave out the base path that meta.location has";
    ReadReturnsList = "read-returns-list", "crud", "GET /Users/{id} answers a ListResponse holding the resource";
    PutReturnsStale = "put-returns-stale", "crud", "PUT answers with the representation from before the change";
    RequiredNotEnforced = "required-not-enforced", "crud", "a User without the REQUIRED userName is created";
    NoEtagHeader = "no-etag-header", "crud", "resources are returned without an ETag header although etag is supported";
    IdsFromNames = "ids-from-names", "crud", "ids are hashed from the name (userName, displayName), so a User and a Group of the same name share an id";
    ClientIdHonoured = "client-id-honoured", "crud", "POST keeps the id the client sent instead of assigning one";
    MetaIncomplete = "meta-incomplete", "crud", "meta lacks resourceType and lastModified";
    LastModifiedFrozen = "last-modified-frozen", "crud", "PUT and PATCH leave meta.lastModified at its first value";
    LastModifiedDrift = "last-modified-drift", "crud", "a new resource's meta.lastModified is later than meta.created";
    UniquenessNotEnforced = "uniqueness-not-enforced", "crud", "a second User with the same userName is created";
    UniquenessCaseSensitive = "uniqueness-case-sensitive", "crud", "userName uniqueness compares case-sensitively although caseExact is false";
    ConflictWithoutScimType = "conflict-without-scimtype", "crud", "a uniqueness conflict answers 409 without scimType";
    SoftDelete = "soft-delete", "crud", "DELETE hides the resource from lists but GET, PUT and DELETE still find it";
    DeleteReturns200 = "delete-returns-200", "crud", "DELETE answers 200 with a body instead of 204";
    DeletedNameReserved = "deleted-name-reserved", "crud", "the userName of a deleted User still conflicts";
    PutCreates = "put-creates", "crud", "PUT to an unknown id creates the resource";
    PutHonoursId = "put-honours-id", "crud", "PUT changes the resource's id to the one in the body";
    PasswordReturned = "password-returned", "crud", "the password (returned \"never\") is returned";
    GroupMembersDropped = "group-members-dropped", "crud", "members sent when creating a Group are dropped";
    ExtensionDropped = "extension-dropped", "crud", "enterprise extension attributes are not stored";
    ListWithoutSchemas = "list-without-schemas", "crud", "list responses lack the ListResponse schemas URN";
    JsonContentType = "json-content-type", "crud", "responses are labelled application/json instead of application/scim+json";
    EtagNotMetaVersion = "etag-not-meta-version", "crud", "the ETag header differs from meta.version";
    UnknownParameter400 = "unknown-parameter-400", "crud", "GET on a resource with a query parameter it does not know answers 400 instead of ignoring it";
    AcceptJson406 = "accept-json-406", "crud", "GET on a resource with Accept: application/json answers 406 Not Acceptable";
    GroupDisplayNameOptional = "group-display-name-optional", "crud", "a Group without the REQUIRED displayName is created";
    DateTimeNotXsd = "datetime-not-xsd", "crud", "meta.created and meta.lastModified have a space where xsd:dateTime has a T (\"2026-12-07 18:00:00.000Z\")";
    UserNameNotNormalized = "username-not-normalized", "crud", "userName uniqueness compares code points as sent, so \"zoé\" composed and decomposed are two users (no PRECIS preparation)";
    BinaryBase64Url = "binary-base64url", "crud", "binary values (x509Certificates.value) are stored in base64url without padding (RFC 4648 §5) instead of base64 (§4)";
    EmailNotCanonical = "email-not-canonical", "crud", "e-mail addresses are stored as sent, domain case and all (\"Ann.Lee@EXAMPLE.COM\"), not canonicalised";
    NonAsciiMangled = "non-ascii-mangled", "crud", "characters outside ASCII in string values are stored as \"?\"";
    DeleteIfMatchIgnored = "delete-if-match-ignored", "etag", "DELETE with a stale If-Match deletes the resource instead of answering 412";
    SchemasForeignUrn = "schemas-foreign-urn", "crud", "User resources list an undeclared schema URN (urn:scimitar:schemas:internal:2.0:Audit) in schemas";
    RootTooManyUntyped = "root-too-many-untyped", "filter", "a query at the server root without a filter is refused with 400 but no scimType tooMany";
    RootQueryUsersOnly = "root-query-users-only", "filter", "a query at the server root searches Users only, never Groups";
    ImmutableUnsetRefused = "immutable-unset-refused", "schema", "PUT that sets an immutable attribute without a value answers 400 mutability instead of applying it";
    EmptyFilterIgnored = "empty-filter-ignored", "filter", "an empty filter parameter (filter=) is ignored and every resource returned";
    SimpleWithSubAttributes = "simple-with-sub-attributes", "discovery", "/Schemas declares subAttributes on userName, a string";
    DuplicateValuesKept = "duplicate-values-kept", "crud", "a multi-valued attribute sent with the same (type, value) pair twice keeps and returns both";
    BulkMethodUnchecked = "bulk-method-unchecked", "bulk", "a bulk operation whose method is GET is performed as a read and answered 200";
    BulkPostsFirst = "bulk-posts-first", "bulk", "bulk operations run POSTs first, so with failOnErrors an earlier failure no longer stops them";
    NullRefused = "null-refused", "crud", "a body with an attribute set to null or to [] is refused with 400 instead of leaving the attribute unassigned";
    SchemasMustBeFirst = "schemas-must-be-first", "crud", "a body whose first member is not schemas is refused with 400 (a streaming parser that expects it first)";
    SchemasOrderMatters = "schemas-order-matters", "crud", "a body whose schemas does not list the core schema first is refused with 400";
    MemberRefWrongPath = "member-ref-wrong-path", "crud", "members' $ref names a singular endpoint (/User/{id}) that does not exist";
    UserGroupsByName = "user-groups-by-name", "crud", "a User's groups values hold the Group's displayName instead of its id";
    SpcFilterUnderAdvertised = "spc-filter-under-advertised", "discovery", "/ServiceProviderConfig says filter.supported false, yet filters work";
    SpcPatchUnderAdvertised = "spc-patch-under-advertised", "discovery", "/ServiceProviderConfig says patch.supported false, yet PATCH works";
    SpcPatchOverAdvertised = "spc-patch-over-advertised", "discovery", "/ServiceProviderConfig says patch.supported true, yet PATCH answers 501";
    SpcSortUnderAdvertised = "spc-sort-under-advertised", "discovery", "/ServiceProviderConfig says sort.supported false, yet sorting works";
    SpcFilterFalseIgnored = "spc-filter-false-ignored", "filter", "/ServiceProviderConfig says filter.supported false, and a filter is ignored instead of refused";
    AttributesDropSchemas = "attributes-drop-schemas", "attributes", "the attributes parameter returns the named attributes and id, without schemas";
    UnauthorizedPlainText = "unauthorized-plain-text", "auth", "401 answers are text/plain \"Unauthorized\", with no SCIM Error body";
    WwwAuthenticateWrongScheme = "www-authenticate-wrong-scheme", "auth", "401 challenges name Basic although only a bearer token scheme is advertised";
    ErrorBodyMissing = "error-body-missing", "errors", "412 and 501 answers carry no body";
    NonUuidId500 = "non-uuid-id-500", "errors", "an id that is not a UUID answers 500 (\"invalid input syntax for type uuid\")";
    GroupMetaIncomplete = "group-meta-incomplete", "crud", "Group meta lacks resourceType and lastModified";
    EmptyIdFirstResource = "empty-id-first-resource", "crud", "GET /Users/ (an empty id) answers the first stored User";
    FilterIgnored = "filter-ignored", "filter", "the filter parameter is ignored and every resource is returned";
    FilterCaseSensitive = "filter-case-sensitive", "filter", "string comparisons are case-sensitive although userName is not caseExact";
    FilterIgnoresNot = "filter-ignores-not", "filter", "`not (x)` is evaluated as `x`";
    FilterOrBindsTighter = "filter-or-binds-tighter", "filter", "`or` binds tighter than `and`";
    FilterValuePathAcrossValues = "filter-value-path-across-values", "filter", "a value path's conditions may be met by different values of the attribute";
    FilterMalformed200 = "filter-malformed-200", "filter", "a malformed filter answers 200 with every resource";
    FilterUnknownAttribute500 = "filter-unknown-attribute-500", "filter", "a filter on an unknown attribute answers 500";
    FilterBooleanOrdering = "filter-boolean-ordering", "filter", "gt, ge, lt and le on booleans are accepted instead of 400 invalidFilter";
    FilterPresentEmpty = "filter-present-empty", "filter", "`pr` matches empty strings and empty lists";
    SearchIgnoresFilter = "search-ignores-filter", "filter", "POST /.search ignores the filter in its body";
    SearchUrnNamesUnknown = "search-urn-names-unknown", "attributes", "POST /.search does not know URN-qualified names: in attributes and excludedAttributes they are dropped, in sortBy refused with 400";
    SortCaseSensitive = "sort-case-sensitive", "sort", "sorting compares strings case-sensitively although they are not caseExact";
    SortIgnoresOrder = "sort-ignores-order", "sort", "sortOrder=descending is ignored";
    SortIgnoresPrimary = "sort-ignores-primary", "sort", "sortBy on a multi-valued attribute (emails.value) takes the first value, not the primary one";
    SortMissingFirst = "sort-missing-first", "sort", "resources without the sortBy value come first when ascending";
    AttributesIgnored = "attributes-ignored", "attributes", "the attributes parameter is ignored";
    AttributesSubWhole = "attributes-sub-whole", "attributes", "asking for a sub-attribute returns the whole complex attribute";
    ExcludedRemovesId = "excluded-removes-id", "attributes", "excludedAttributes=id removes id, which is returned always";
    ExcludedIgnored = "excluded-ignored", "attributes", "the excludedAttributes parameter is ignored";
    AttributesIgnoredOnWrite = "attributes-ignored-on-write", "attributes", "POST and PUT responses ignore the attributes parameter";
    EtagUnchangedOnUpdate = "etag-unchanged-on-update", "etag", "PUT does not change the ETag";
    EtagChangesOnRead = "etag-changes-on-read", "etag", "every GET answers a new ETag although nothing changed";
    EtagUnquoted = "etag-unquoted", "etag", "the ETag header is not a quoted entity-tag";
    IfNoneMatchIgnored = "if-none-match-ignored", "etag", "If-None-Match with the current ETag answers 200 instead of 304";
    IfMatchIgnored = "if-match-ignored", "etag", "PUT with a stale If-Match succeeds instead of 412";
    DeletedStillListed = "deleted-still-listed", "crud", "a deleted resource still appears in query results";
    PutKeepsOmitted = "put-keeps-omitted", "crud", "PUT keeps the old values of attributes left out of the body";
    DeletedMemberKept = "deleted-member-kept", "crud", "a deleted User stays in the members of its Groups";
    UnknownEndpointHtml200 = "unknown-endpoint-html-200", "errors", "an unknown endpoint answers 200 with an HTML page";
    MeNotFound = "me-not-found", "errors", "/Me answers 404 instead of 501 or the authenticated subject";
    TypesNotValidated = "types-not-validated", "errors", "values of the wrong JSON type are accepted";
    SchemasNotRequired = "schemas-not-required", "errors", "a resource without schemas is accepted";
    AttributesDropped = "attributes-dropped", "schema", "optional attributes the schemas declare are accepted but not stored";
    SchemaCharacteristicsDrift = "schema-characteristics-drift", "schema", "/Schemas declares userName with uniqueness none and returned always, unlike RFC 7643 §8.7.1";
    SchemaBadCharacteristic = "schema-bad-characteristic", "schema", "/Schemas declares a mutability value that RFC 7643 §7 does not define (\"readwrite\")";
    ImmutableUpdatable = "immutable-updatable", "schema", "PUT changes an immutable attribute";
    WriteOnlyReturned = "write-only-returned", "schema", "writeOnly attributes (returned never) are returned";
    ReturnedRequestAlways = "returned-request-always", "schema", "attributes declared returned \"request\" are returned by default";
    CustomUniquenessIgnored = "custom-uniqueness-ignored", "schema", "uniqueness \"server\" is enforced on userName only, not on extension attributes";
    ReferenceUnchecked = "reference-unchecked", "schema", "reference values that are not URIs are accepted";
    CanonicalValuesStale = "canonical-values-stale", "schema", "only the first declared canonical value of an attribute is accepted; the others answer 400";
    PatchPathUnsupported = "patch-path-501", "patch", "operations with a path answer 501 although /ServiceProviderConfig says PATCH is supported";
    PatchNoMatchAppends = "patch-no-match-appends", "patch", "replace with a value filter that matches nothing appends a new value instead of 400 noTarget";
    PatchReadOnlyIgnored = "patch-read-only-ignored", "patch", "operations on readOnly attributes are ignored with success instead of 400 mutability";
    PatchNotAtomic = "patch-not-atomic", "patch", "a failing operation leaves the operations before it applied";
    PatchAddDuplicates = "patch-add-duplicates", "patch", "add of a value already present appends it again";
    PatchPrimaryNotExclusive = "patch-primary-not-exclusive", "patch", "setting primary on one value leaves primary set on the others";
    PatchNoopTouches = "patch-noop-touches", "patch", "a PATCH that changes nothing still changes meta.lastModified and the version";
    Patch204WithAttributes = "patch-204-with-attributes", "patch", "PATCH answers 204 even when the attributes parameter asks for the resource";
    PatchOpCaseSensitive = "patch-op-case-sensitive", "patch", "capitalised op values (\"Replace\", as Entra ID sends) are refused";
    PatchStringBoolRefused = "patch-string-bool-refused", "patch", "booleans sent as strings (\"False\", as Entra ID sends) are refused";
    PatchDottedKeysIgnored = "patch-dotted-keys-ignored", "patch", "dotted and URN-qualified keys in a path-less value (as Entra ID sends) are ignored";
    PatchRemoveRequired = "patch-remove-required", "patch", "removing a required attribute (userName) succeeds";
    PatchImmutableReplace = "patch-immutable-replace", "patch", "replace changes an immutable attribute that has a value";
    PatchMemberFilterIgnored = "patch-member-filter-ignored", "patch", "remove with members[value eq \"id\"] removes nothing";
    PatchReplaceMissingIgnored = "patch-replace-missing-ignored", "patch", "replace on an attribute without a value does nothing instead of adding it";
    PatchEtagUnchanged = "patch-etag-unchanged", "etag", "PATCH does not change the version or the ETag";
    PatchSubReplacesWhole = "patch-sub-replaces-whole", "patch", "replace of name.givenName clears the other sub-attributes of name";
    PatchComplexReplaceClears = "patch-complex-replace-clears", "patch", "replace of a complex attribute clears the sub-attributes the value leaves out";
    PatchSchemasStale = "patch-schemas-stale", "patch", "a replace or remove in an extension that schemas did not list before the request answers 400 noTarget, even after an earlier operation added it";
    PatchUrnPathRefused = "patch-urn-path-refused", "patch", "URN-qualified paths (extension attributes) answer 400 invalidPath";
    PatchRemoveWithoutPathOk = "patch-remove-without-path-ok", "patch", "remove without a path answers 200 instead of 400 noTarget";
    PatchFilteredAddRefused = "patch-filtered-add-refused", "patch", "add through a value filter that matches nothing answers 400 noTarget instead of adding the value (Entra ID sends these)";
    PatchRemoveValueRemovesAll = "patch-remove-value-removes-all", "patch", "remove with path members and a list of values (as Entra ID sends) removes every member";
    PatchNullRefRefused = "patch-null-ref-refused", "patch", "values with a null sub-attribute (\"$ref\": null, as Entra ID sends) are refused";
    PatchSameReadOnlyRefused = "patch-same-read-only-refused", "patch", "a path-less replace that repeats the resource's own id (as Okta sends) is refused with 400 mutability";
    PatchPathlessIgnored = "patch-pathless-ignored", "patch", "add and replace without a path answer success and change nothing";
    PatchBadOperationsSkipped = "patch-bad-operations-skipped", "patch", "operations that cannot be read (unknown op, no value, malformed path) are skipped and the request succeeds";
    PatchResponseStale = "patch-response-stale", "patch", "the 200 response carries the resource as it was before the PATCH";
    StartIndexIgnored = "start-index-ignored", "pagination", "startIndex is ignored: every page starts at the first resource";
    StartIndexOffByOne = "start-index-off-by-one", "pagination", "startIndex is read as 0-based, so each page skips one resource";
    ItemsPerPageIsCount = "items-per-page-is-count", "pagination", "itemsPerPage reports the count asked for, not the resources on the page";
    CountIgnored = "count-ignored", "pagination", "count in the query string is ignored: every resource comes in one page";
    CountZeroReturnsAll = "count-zero-returns-all", "pagination", "count=0 (and a negative count) returns every resource instead of none";
    StartIndexBelowOne400 = "start-index-below-one-400", "pagination", "startIndex below 1 answers 400 instead of being read as 1";
    PagingNumbersUnchecked = "paging-numbers-unchecked", "pagination", "a count or startIndex that is not a number is ignored instead of answering 400";
    NextCursorOnLastPage = "next-cursor-on-last-page", "cursor", "the last page of a cursor walk still carries nextCursor";
    PreviousCursorOnFirstPage = "previous-cursor-on-first-page", "cursor", "the first page of a cursor walk carries previousCursor";
    CursorIgnoresFilter = "cursor-ignores-filter", "cursor", "pages after the first one drop the filter of the query";
    CursorNotUrlSafe = "cursor-not-url-safe", "cursor", "cursors contain '+', '/' and '=' (base64), which are not URL-safe";
    InvalidCursorRestarts = "invalid-cursor-restarts", "cursor", "an invalid cursor answers the first page instead of 400 invalidCursor";
    CursorCountChangeAccepted = "cursor-count-change-accepted", "cursor", "a cursor request whose count differs from the first request's is answered instead of 400 invalidCount";
    CursorExpiresEarly = "cursor-expires-early", "cursor", "cursors expire after a quarter of the advertised cursorTimeout";
    ExpiredCursorRestarts = "expired-cursor-restarts", "cursor", "an expired cursor answers the first page again instead of 400 expiredCursor";
    DefaultMethodIgnored = "default-method-ignored", "cursor", "a request naming no paging method gets index paging although cursor is the advertised default";
    BothMethodsNoDefault = "both-methods-no-default", "cursor", "with both paging methods offered, a request with count that names neither answers 400 instead of using a default";
    CursorErrorLeaks = "cursor-error-leaks", "cursor", "an invalid cursor's error detail carries a decoder message, a stack trace and a file path";
    SpcPaginationIncomplete = "spc-pagination-incomplete", "cursor", "the pagination object of /ServiceProviderConfig omits its REQUIRED cursor and index members";
    CountOverLimit = "count-over-limit", "pagination", "count is honoured beyond the advertised maxResults and maxPageSize";
    CaseExactFolded = "case-exact-folded", "schema", "caseExact string values are stored lower-cased";
    ReadOnlyStored = "read-only-stored", "schema", "a readOnly value sent by the client (meta.resourceType) is stored and returned";
    SpcEtagFalseButSent = "spc-etag-false-but-sent", "etag", "/ServiceProviderConfig says etag is unsupported, yet resources carry ETags (which If-None-Match ignores)";
    SpcEtagUnderAdvertised = "spc-etag-under-advertised", "discovery", "/ServiceProviderConfig says etag.supported false, yet ETags and conditional requests work";
    SpcBulkUnderAdvertised = "spc-bulk-under-advertised", "discovery", "/ServiceProviderConfig says bulk.supported false, yet /Bulk answers a BulkResponse";
    SpcBulkLimitsMissing = "spc-bulk-limits-missing", "bulk", "/ServiceProviderConfig advertises bulk without its REQUIRED maxOperations and maxPayloadSize";
    BulkPayloadUnchecked = "bulk-payload-unchecked", "bulk", "a bulk request over maxPayloadSize is processed instead of refused with 413";
    BulkMaxOperationsUnchecked = "bulk-max-operations-unchecked", "bulk", "a bulk request with more than maxOperations operations is processed instead of refused with 413";
    BulkLimitUnnamed = "bulk-limit-unnamed", "bulk", "the 413 for a bulk request over a limit does not say which limit (\"request too large\")";
    BulkSchemasUnchecked = "bulk-schemas-unchecked", "bulk", "a bulk request without the BulkRequest schema is processed";
    BulkOperationsOptional = "bulk-operations-optional", "bulk", "a bulk request without Operations answers 200 with an empty BulkResponse";
    BulkInRequestOrder = "bulk-in-request-order", "bulk", "operations run in request order, so an operation that references a later POST's bulkId fails";
    BulkMembersUnresolved = "bulk-members-unresolved", "bulk", "bulkId references in Group members are not replaced, so the operation fails (no member \"bulkId:…\")";
    BulkExtensionUnresolved = "bulk-extension-unresolved", "bulk", "bulkId references inside extension attributes (enterprise manager.value) are stored as written";
    BulkCircularDropped = "bulk-circular-dropped", "bulk", "circular bulkId references are dropped: each resource is created, 201, without the other";
    BulkUnknownReferenceDropped = "bulk-unknown-reference-dropped", "bulk", "a reference to a bulkId no operation has is dropped and the operation succeeds";
    BulkStopsOnError = "bulk-stops-on-error", "bulk", "processing stops at the first failed operation, whatever failOnErrors says";
    BulkFailOnErrorsIgnored = "bulk-fail-on-errors-ignored", "bulk", "failOnErrors is ignored: every operation runs";
    BulkDeleteNotApplied = "bulk-delete-not-applied", "bulk", "DELETE operations answer 204 and delete nothing";
    BulkNoBulkId = "bulk-no-bulk-id", "bulk", "response operations leave out the bulkId of the POST they created";
    BulkNoLocation = "bulk-no-location", "bulk", "response operations carry no location";
    BulkCreateStatus200 = "bulk-create-status-200", "bulk", "a created operation's status is 200 instead of the 201 a single POST answers";
    BulkErrorWithoutResponse = "bulk-error-without-response", "bulk", "failed operations carry a status and no response (no SCIM Error)";
    BulkStatusNumber = "bulk-status-number", "bulk", "operation statuses are JSON numbers (201) instead of strings (\"201\")";
    BulkIdInId = "bulk-id-in-id", "bulk", "a resource created through bulk gets an id built from its bulkId (\"bulkId-ann-1f0c2a9e\"), although \"bulkId\" is reserved";
    BulkVersionIgnored = "bulk-version-ignored", "bulk", "an operation's version is ignored, so a stale one succeeds instead of 412";
    ErrorStackTrace = "error-stack-trace", "errors", "error details carry a stack trace and file paths";
    UnsupportedPatch400 = "unsupported-patch-400", "errors", "/ServiceProviderConfig says PATCH is unsupported, and PATCH answers 400 instead of 501";
    UnsupportedBulk404 = "unsupported-bulk-404", "errors", "POST /Bulk, advertised as unsupported, answers 404 instead of 501";
    ErrorAsHtml = "error-as-html", "errors", "404 errors are HTML pages instead of SCIM Error JSON";
    ErrorStatusNumber = "error-status-number", "errors", "Error bodies carry status as a JSON number";
    InvalidJson500 = "invalid-json-500", "errors", "a malformed JSON body answers 500";
    AuthNotRequired = "auth-not-required", "auth", "requests without credentials are served";
    AnyTokenAccepted = "any-token-accepted", "auth", "any bearer token is accepted";
    NoWwwAuthenticate = "no-www-authenticate", "auth", "401 answers carry no WWW-Authenticate header";
    SetSubClaim = "set-sub-claim", "events", "SETs identify the subject with the JWT sub claim instead of sub_id";
    SubIdAbsoluteUri = "sub-id-absolute-uri", "events", "sub_id uri is the absolute resource URL instead of the path relative to the base URI";
    NoticeWithData = "notice-with-data", "events", ":notice events carry data besides attributes";
    NoDeactivateEvent = "no-deactivate-event", "events", "setting a User's active to false emits no prov:deactivate";
    SetTxnMismatch = "set-txn-mismatch", "events", "the Set-Txn header of a 202 differs from the txn of its asyncresp SET";
    EventVersionStale = "event-version-stale", "events", "an event's version is the ETag from before the change";
    EventOnFailedOperation = "event-on-failed-operation", "events", "a refused PATCH still emits prov:patch";
    DuplicateJti = "duplicate-jti", "events", "every SET of one change has the same jti (the txn)";
    DeleteWithPayload = "delete-with-payload", "events", "prov:delete carries the deleted resource as data";
    AsyncWithBody = "async-with-body", "events", "the 202 answer to Prefer: respond-async carries the resource as a body";
    PollNoRedelivery = "poll-no-redelivery", "events", "a polled SET is dropped after its first delivery, acknowledged or not";
    PollMaxEventsIgnored = "poll-max-events-ignored", "events", "maxEvents is ignored: a poll returns every queued SET";
    EventUrisIncomplete = "event-uris-incomplete", "events", "securityEvents.eventUris leaves out prov:delete, which the server sends";
    PollReturnImmediatelyIgnored = "poll-return-immediately-ignored", "events", "a poll with returnImmediately and maxEvents 0 is held for 3 s";
    PollEmptySetsArray = "poll-empty-sets-array", "events", "a poll response with no SETs carries sets as [] instead of an empty JSON object";
    PollInvalid200 = "poll-invalid-200", "events", "a poll request that cannot be read is answered 200 with no SETs instead of 400";
    PollNoChallenge = "poll-no-challenge", "events", "the poll endpoint refuses a request without credentials with 401 but no WWW-Authenticate";
    PushWrongContentType = "push-wrong-content-type", "events", "pushed SETs are labelled application/json instead of application/secevent+jwt";
    PushRetransmits = "push-retransmits", "events", "every pushed SET is pushed a second time after the receiver acknowledged it with 202";
    EventsUnsigned = "events-unsigned", "events", "SETs are unsigned (alg none)";
    ReceiverAcceptsBadSignature = "receiver-accepts-bad-signature", "receiver", "the receiver accepts SETs whose signature does not verify";
    ReceiverAcceptsWrongAudience = "receiver-accepts-wrong-audience", "receiver", "the receiver accepts SETs whose aud does not name it";
    ReceiverAcceptsSubClaim = "receiver-accepts-sub-claim", "receiver", "the receiver accepts SETs that use sub instead of sub_id";
    ReceiverProcessesDuplicates = "receiver-processes-duplicates", "receiver", "the receiver processes a SET again when its jti repeats";
    Busy503 = "busy-503", "load", "a request that arrives while another is being answered gets 503 (a server that breaks under concurrency)";
    LongFilter500 = "long-filter-500", "robustness", "a filter whose comparison value is longer than 200 characters answers 500 with a plain-text body";
    DeepJson500 = "deep-json-500", "robustness", "a request body nested deeper than 32 levels answers 500 with a plain-text body";
    MalformedAuthAccepted = "malformed-auth-accepted", "robustness", "an Authorization header of `Bearer` with no token, or with a token holding whitespace, is accepted";
    ErrorLeaksInternals = "error-leaks-internals", "robustness", "a string value holding a control character is refused with a stack trace and file paths in detail";
}

impl Bug {
    /// The suite areas besides [`Bug::area`] whose cases the bug makes fail
    /// where its own area's do not show it; the bug matrix runs a bug's
    /// cases of these areas only (`tests/suites.rs`).
    pub fn reaches(self) -> &'static [&'static str] {
        match self {
            // The discovery each area's cases read first (SPC cases of cursor and events).
            Bug::DiscoveryRequiresAuth => &["cursor", "events"],
            // Error bodies of refused paging and schema-derived requests.
            Bug::ErrorStatusNumber => &["schema"],
            // Walks whose pages a filter should have narrowed.
            Bug::FilterIgnored => &["cursor", "pagination"],
            // ETags on PATCH, and If-Match on PATCH.
            Bug::PatchEtagUnchanged | Bug::IfMatchIgnored => &["patch"],
            // /Schemas declarations the discovery cases compare with RFC 7643.
            Bug::SchemaBadCharacteristic | Bug::SchemaCharacteristicsDrift => &["discovery"],
            // Bodies the schema-derived cases send.
            Bug::SchemasForeignUrn | Bug::SchemasMustBeFirst => &["schema"],
            _ => &[],
        }
    }
}

impl FromStr for Bug {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Bug::ALL
            .iter()
            .copied()
            .find(|b| b.name() == s)
            .ok_or_else(|| format!("unknown bug `{s}` (see `scimitar serve --list-bugs`)"))
    }
}

/// The bugs a server runs with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bugs(BTreeSet<Bug>);

impl Bugs {
    pub fn none() -> Self {
        Bugs::default()
    }

    pub fn of(bugs: impl IntoIterator<Item = Bug>) -> Self {
        Bugs(bugs.into_iter().collect())
    }

    pub fn has(&self, bug: Bug) -> bool {
        self.0.contains(&bug)
    }

    pub fn iter(&self) -> impl Iterator<Item = Bug> + '_ {
        self.0.iter().copied()
    }
}

/// `NAME<TAB>AREA<TAB>description`, one bug a line.
pub fn listing() -> String {
    Bug::ALL
        .iter()
        .map(|b| format!("{}\t{}\t{}\n", b.name(), b.area(), b.description()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_parse_back() {
        let mut names: Vec<_> = Bug::ALL.iter().map(|b| b.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Bug::ALL.len());
        for b in Bug::ALL {
            assert_eq!(b.name().parse::<Bug>().unwrap(), *b);
        }
        assert!("nope".parse::<Bug>().unwrap_err().contains("--list-bugs"));
        assert_eq!(listing().lines().count(), Bug::ALL.len());
        assert!(listing().lines().all(|l| l.split('\t').count() == 3));
    }
}
