// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IAgentAccount
/// @notice A smart-contract account that holds an ERC-8004 agent's money. Its owner (a person or a multisig)
///         has full control; agent keys (session keys) act only inside the policy the owner set for each of
///         them, enforced on chain for every call and every ERC-1271 signature the account issues for them.
/// @dev Policy refusals of agent-key actions do NOT revert: the action is skipped and `AgentActionRefused` is
///      emitted, so that every refusal leaves an audit record. Authorization failures (caller is not the owner,
///      not the key, not the EntryPoint) revert with custom errors as usual.
interface IAgentAccount {
    // ------------------------------------------------------------------------------------------ types

    /// @notice One call made by the account.
    struct Call {
        address target;
        uint256 value;
        bytes data;
    }

    /// @notice Spending limits of one agent key for one asset (`address(0)` is the chain's native token).
    /// @param perTxCap            Most one action (a single call, or a whole batch) may move of this asset.
    /// @param windowCap           Most the key may move of this asset in any interval of `window` seconds (rolling).
    /// @param window              Length of the rolling window in seconds (e.g. 86400); non-zero.
    /// @param escalationThreshold An action moving more than this is queued for the owner instead of executed;
    ///                            `type(uint128).max` means never escalate.
    struct AssetLimit {
        address asset;
        uint128 perTxCap;
        uint128 windowCap;
        uint32 window;
        uint128 escalationThreshold;
    }

    /// @notice How a condition compares one 32-byte argument word of a call.
    enum ConditionOp {
        Equal,
        NotEqual,
        LessOrEqual,
        GreaterOrEqual,
        /// @dev The argument (an address) must be in the key's `recipients` list.
        InRecipients
    }

    /// @notice A condition on the `paramIndex`-th 32-byte word of a call's arguments (after the selector).
    struct ParamCondition {
        uint8 paramIndex;
        ConditionOp op;
        bytes32 value;
    }

    /// @notice The key may call `selector` on `target` when every condition holds. `selector == 0x00000000`
    ///         stands for a plain value transfer (empty calldata).
    struct CallRule {
        address target;
        bytes4 selector;
        ParamCondition[] conditions;
    }

    /// @notice Everything an agent key may do.
    /// @param validAfter  The key acts from this timestamp on (inclusive).
    /// @param validUntil  The key acts until this timestamp (inclusive); 0 means no expiry.
    /// @param rateLimit   Most actions in any `rateWindow` seconds (rolling); 0 means unlimited.
    /// @param rateWindow  Length of the rate-limit window in seconds.
    /// @param pendingTtl  How long a queued (escalated) action waits for the owner before it expires.
    /// @param limits      Per-asset caps; moving an asset without a limit entry is refused.
    /// @param rules       Allowed (target, selector) pairs with optional argument conditions.
    /// @param recipients  The recipient allowlist used by `ConditionOp.InRecipients`.
    struct KeyPolicy {
        uint48 validAfter;
        uint48 validUntil;
        uint32 rateLimit;
        uint32 rateWindow;
        uint32 pendingTtl;
        AssetLimit[] limits;
        CallRule[] rules;
        address[] recipients;
    }

    /// @notice Why an agent-key action was refused.
    enum Refusal {
        None,
        Frozen,
        UnknownKey,
        KeyRevoked,
        KeyNotYetValid,
        KeyExpired,
        RateLimited,
        TargetNotAllowed,
        SelectorNotAllowed,
        ConditionFailed,
        AssetNotAllowed,
        PerTxCapExceeded,
        WindowCapExceeded,
        SpendLogFull
    }

    /// @notice Lifecycle of a queued action.
    enum PendingStatus {
        None,
        Queued,
        Approved,
        Rejected,
        Expired
    }

    /// @notice A queued (escalated) agent action waiting for the owner.
    /// @param kind       0 = calls (`callsHash` = keccak256(abi.encode(calls))), 1 = token-authorization signature
    ///                   (`callsHash` = the EIP-712 digest the account will then accept as signed).
    struct Pending {
        address key;
        uint8 kind;
        PendingStatus status;
        uint48 queuedAt;
        uint48 expiresAt;
        bytes32 callsHash;
    }

    // ------------------------------------------------------------------------------------------ events
    // Every event carries the ERC-8004 agentId of the account, so one agent's trail is one filter.

    event AccountInitialized(uint256 indexed agentId, address indexed owner, address guardian);
    event GuardianSet(uint256 indexed agentId, address indexed guardian);
    event KeySet(uint256 indexed agentId, address indexed key, uint48 validAfter, uint48 validUntil, bytes32 policyHash);
    event KeyRevoked(uint256 indexed agentId, address indexed key);
    event Frozen(uint256 indexed agentId, address indexed by);
    event Unfrozen(uint256 indexed agentId, address indexed by);

    /// @notice The owner (directly or through a user operation) made a call.
    event OwnerExecuted(uint256 indexed agentId, address indexed target, uint256 value, bytes4 selector);

    /// @notice An agent key's action ran; one `AgentSpend` per asset it moved precedes it.
    event AgentActionExecuted(uint256 indexed agentId, address indexed key, bytes32 indexed callsHash, uint256 callCount);
    /// @notice An agent key moved `amount` of `asset`; `windowSpent` is its rolling-window total after it.
    event AgentSpend(uint256 indexed agentId, address indexed key, address indexed asset, uint256 amount, uint256 windowSpent);
    /// @notice An agent key's action was refused; nothing ran. `target`/`selector`/`asset`/`amount` name the
    ///         offending call or spend where there is one (zero otherwise).
    event AgentActionRefused(
        uint256 indexed agentId,
        address indexed key,
        Refusal reason,
        address target,
        bytes4 selector,
        address asset,
        uint256 amount
    );

    /// @notice An agent key's action exceeded an escalation threshold and waits for the owner.
    event ActionQueued(
        uint256 indexed agentId, uint256 indexed pendingId, address indexed key, uint8 kind, bytes32 callsHash, uint48 expiresAt
    );
    event PendingApproved(uint256 indexed agentId, uint256 indexed pendingId);
    event PendingRejected(uint256 indexed agentId, uint256 indexed pendingId);
    event PendingExpired(uint256 indexed agentId, uint256 indexed pendingId);

    /// @notice The account will accept `digest` as signed for `key` (ERC-1271) while the key stays valid: an
    ///         EIP-3009 or EIP-2612 authorization of `value` of `token` to `to`, checked against the key's policy.
    event SignatureAuthorized(
        uint256 indexed agentId, address indexed key, bytes32 indexed digest, address token, address to, uint256 value
    );

    // ------------------------------------------------------------------------------------------ errors

    error NotOwner(address caller);
    error NotOwnerOrGuardian(address caller);
    error NotKeyOrEntryPoint(address caller, address key);
    error NotOwnerOrEntryPoint(address caller);
    error InvalidPolicy(string reason);
    error UnknownPending(uint256 pendingId);
    error PendingNotQueued(uint256 pendingId, PendingStatus status);
    error PendingCallsMismatch(uint256 pendingId);
    error CallFailed(uint256 index, bytes reason);
    error AlreadyInitialized();
    // Added by the implementation (helper 1):
    error InvalidOwner();
    error KeyNotFound(address key);
    error UnsupportedSignatureKind(uint8 kind);
    error UnsupportedToken(address token);
    error NotFromEntryPoint(address caller);

    // ------------------------------------------------------------------------------------------ views

    function owner() external view returns (address);
    function guardian() external view returns (address);
    /// @notice The ERC-8004 agent this account belongs to.
    function agentId() external view returns (uint256);
    function frozen() external view returns (bool);
    function keyPolicy(address key) external view returns (KeyPolicy memory policy, bool revoked);
    /// @notice What `key` moved of `asset` in the rolling window ending now.
    function spentInWindow(address key, address asset) external view returns (uint256);
    function pending(uint256 pendingId) external view returns (Pending memory);
    function pendingCount() external view returns (uint256);
    /// @notice What `executeAsAgent(key, calls)` would do now: `Refusal.None` + `escalate == false` means it
    ///         would execute; `escalate == true` means it would be queued. `asset`/`amount` name the
    ///         offending spend when refused for a cap. Lets clients refuse early with a clear reason.
    function previewAgentCalls(address key, Call[] calldata calls)
        external
        view
        returns (Refusal reason, bool escalate, address asset, uint256 amount);

    /// @notice The EIP-712 digest the owner signs so that ERC-1271 accepts `hash`:
    ///         `AgentAccountMessage(bytes32 hash)` under {name: "AgentAccount", version: "1", chainId, this account}.
    function messageHash(bytes32 hash) external view returns (bytes32);
    /// @notice Whether ERC-1271 accepts the 20-byte signature `key` for `digest` right now (authorized, key still
    ///         valid, account not frozen).
    function signatureAuthorized(address key, bytes32 digest) external view returns (bool);

    // ------------------------------------------------------------------------------------------ owner

    /// @notice Sets owner, agent and guardian of a fresh clone; callable once (the factory does it).
    function initialize(address owner_, uint256 agentId_, address guardian_) external;

    function execute(address target, uint256 value, bytes calldata data) external returns (bytes memory result);
    function executeBatch(Call[] calldata calls) external;
    function setKey(address key, KeyPolicy calldata policy) external;
    function revokeKey(address key) external;
    function setGuardian(address guardian_) external;
    /// @notice Stops every agent key at once (owner or guardian).
    function freeze() external;
    /// @notice Lets agent keys act again (owner only).
    function unfreeze() external;
    /// @notice Runs a queued call action (`calls` must hash to its `callsHash`) or accepts a queued signature.
    ///         Caps are not enforced on an approved action, but its spend counts toward the key's windows.
    function approvePending(uint256 pendingId, Call[] calldata calls) external;
    function rejectPending(uint256 pendingId) external;
    /// @notice Marks a queued action past its `expiresAt` as Expired (anyone may call; `pending()` already reports
    ///         it as Expired before that).
    function expirePending(uint256 pendingId) external;

    // ------------------------------------------------------------------------------------------ agent key

    /// @notice Runs `calls` for agent `key` (sent by the key itself, or by the EntryPoint for a user operation
    ///         the key signed), inside its policy.
    /// @return executed  True when the calls ran.
    /// @return pendingId Non-zero when the action was queued for the owner (1-based).
    function executeAsAgent(address key, Call[] calldata calls) external returns (bool executed, uint256 pendingId);

    /// @notice Makes the account accept, through ERC-1271, the EIP-3009 `TransferWithAuthorization`
    ///         (`kind == 0`), `ReceiveWithAuthorization` (`kind == 1`) or EIP-2612 `Permit` (`kind == 2`, with
    ///         `to` = spender, `validBefore` = deadline, `nonce` = permit nonce) of `value` of `token` from this
    ///         account, after checking it against `key`'s policy as a spend of `value` of `token` by a call to
    ///         `token` with the matching selector (so argument conditions on `to` apply). The signature to pass
    ///         along is the 20-byte key address (`abi.encodePacked(key)`).
    /// @return digest    The EIP-712 digest (under the token's own domain) now accepted, or zero if refused.
    /// @return pendingId Non-zero when queued for the owner.
    function authorizeTokenSignature(
        address key,
        uint8 kind,
        address token,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce
    ) external returns (bytes32 digest, uint256 pendingId);
}
