// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IAgentAccount} from "./interfaces/IAgentAccount.sol";
import {SpendWindow} from "./lib/SpendWindow.sol";
import {TokenCalls} from "./lib/TokenCalls.sol";

/// @title AgentPolicy
/// @notice The storage and agent-key policy engine shared by {AgentAccount} and {AgentAccountModule}: keys and
///         policies, and the verdict on an action (validity, rate limit, allowlisted target/selector/arguments,
///         per-action and rolling-window caps per asset, escalation).
/// @dev ALL storage of the account lives here, so that the module (run by DELEGATECALL) sees the same layout.
abstract contract AgentPolicy is IAgentAccount {
    using SpendWindow for SpendWindow.Log;

    /// @dev One slot: everything checked before the policy itself. `epoch` counts revocations (kills ERC-1271
    ///      authorizations of an earlier life of the key); `policyId == 0` means the key was never set.
    struct KeyState {
        uint48 validAfter;
        uint48 validUntil;
        uint32 rateLimit;
        uint32 rateWindow;
        uint32 pendingTtl;
        uint32 policyId;
        uint24 epoch;
        bool revoked;
    }

    /// @dev A limit packed in two slots.
    struct Limit {
        uint128 perTxCap;
        uint128 windowCap;
        uint128 escalationThreshold;
        uint32 window;
        bool exists;
    }

    /// @dev A policy under a fresh id per `setKey`, so replacing a policy never needs clearing storage.
    struct PolicyStore {
        address[] assets;
        mapping(address asset => Limit) limits;
        bytes32[] ruleKeys;
        /// @dev 0 = no rule, else 1 + number of conditions.
        mapping(bytes32 ruleKey => uint256) ruleInfo;
        /// @dev Conditions by index (no array: the count is in `ruleInfo`, saving a length read per check).
        mapping(bytes32 ruleKey => mapping(uint256 index => ParamCondition)) conditions;
        mapping(address target => bool) targets;
        address[] recipients;
        mapping(address recipient => bool) isRecipient;
        uint64 rateCount;
        /// @dev Timestamps of the last `rateLimit` actions, five uint48 per slot.
        mapping(uint256 slot => uint256) rateRing;
    }

    /// @dev An ERC-1271 authorization of a digest for a key, valid while the key's revocation epoch is unchanged.
    struct SigAuth {
        address key;
        uint24 epoch;
    }

    /// @dev What an approved signature pending spends (kind 1 stores only the digest in `Pending`).
    struct PendingSpend {
        address token;
        uint256 value;
    }

    /// @dev The verdict on an action, with the per-asset totals it moves.
    struct Verdict {
        Refusal reason;
        bool escalate;
        address target;
        bytes4 selector;
        address asset;
        uint256 amount;
        address[] assets;
        uint256[] totals;
        uint256 n;
    }

    address internal _owner;
    bool internal _frozen;
    bool internal _initialized;
    address internal _guardian;
    uint256 internal _agentId;
    uint32 private _policyCount;
    mapping(address key => KeyState) internal _keys;
    mapping(uint256 policyId => PolicyStore) internal _policies;
    mapping(address key => mapping(address asset => SpendWindow.Log)) internal _spends;
    mapping(uint256 pendingId => Pending) internal _pending;
    mapping(uint256 pendingId => PendingSpend) internal _pendingSpend;
    uint256 internal _pendingCount;
    mapping(bytes32 digest => SigAuth) internal _sigAuth;

    // ------------------------------------------------------------------------------------------ shared views

    /// @inheritdoc IAgentAccount
    function owner() external view returns (address) {
        return _owner;
    }

    /// @inheritdoc IAgentAccount
    function guardian() external view returns (address) {
        return _guardian;
    }

    /// @inheritdoc IAgentAccount
    function agentId() external view returns (uint256) {
        return _agentId;
    }

    /// @inheritdoc IAgentAccount
    function frozen() external view returns (bool) {
        return _frozen;
    }

    /// @inheritdoc IAgentAccount
    function pendingCount() external view returns (uint256) {
        return _pendingCount;
    }

    /// @inheritdoc IAgentAccount
    function signatureAuthorized(address key, bytes32 digest) public view returns (bool) {
        SigAuth memory a = _sigAuth[digest];
        if (a.key != key || key == address(0)) return false;
        KeyState memory k = _keys[key];
        return a.epoch == k.epoch && _keyStatus(k) == Refusal.None;
    }

    // ------------------------------------------------------------------------------------------ shared actions

    /// @dev The EntryPoint trusted by this account (an immutable of the deployed contract).
    function _entryPointAddress() internal view virtual returns (address);

    function _requireKeyOrEntryPoint(address key) internal view {
        if (msg.sender != key && msg.sender != _entryPointAddress()) revert NotKeyOrEntryPoint(msg.sender, key);
    }

    function _queue(address key, uint32 ttl, uint8 kind, bytes32 hash) internal returns (uint256 pendingId) {
        pendingId = ++_pendingCount;
        uint48 expiresAt = ttl == 0 ? type(uint48).max : uint48(block.timestamp + ttl);
        _pending[pendingId] = Pending(key, kind, PendingStatus.Queued, uint48(block.timestamp), expiresAt, hash);
        emit ActionQueued(_agentId, pendingId, key, kind, hash, expiresAt);
    }

    /// @dev Books the spends of an action in the key's windows and emits one AgentSpend per asset. `force` (owner
    ///      approvals) books even into a full log.
    function _recordSpends(address key, address[] memory assets, uint256[] memory totals, uint256 n, bool force)
        internal
    {
        uint256 id = _agentId;
        KeyState storage k = _keys[key];
        for (uint256 i; i < n; ++i) {
            Limit storage l = _policies[k.policyId].limits[assets[i]];
            uint256 windowSpent;
            if (l.exists) windowSpent = _spends[key][assets[i]].record(l.window, totals[i], force);
            emit AgentSpend(id, key, assets[i], totals[i], windowSpent);
        }
    }

    /// @dev Runs the calls of an agent action; any failure reverts the whole action.
    function _run(Call[] calldata calls) internal {
        for (uint256 i; i < calls.length; ++i) {
            Call calldata c = calls[i];
            (bool ok, bytes memory ret) = c.target.call{value: c.value}(c.data);
            if (!ok) revert CallFailed(i, ret);
        }
    }


    // ------------------------------------------------------------------------------------------ policy storage

    function _storePolicy(address key, KeyPolicy calldata policy) internal {
        if (key == address(0) || key == address(this)) revert InvalidPolicy("key is zero or the account");
        if (policy.validUntil != 0 && policy.validUntil < policy.validAfter) {
            revert InvalidPolicy("validUntil before validAfter");
        }
        if (policy.rateLimit != 0 && policy.rateWindow == 0) revert InvalidPolicy("rateWindow is zero");
        uint32 pid = ++_policyCount;
        PolicyStore storage p = _policies[pid];
        for (uint256 i; i < policy.limits.length; ++i) {
            AssetLimit calldata l = policy.limits[i];
            if (l.window == 0) revert InvalidPolicy("limit window is zero");
            if (p.limits[l.asset].exists) revert InvalidPolicy("duplicate limit asset");
            p.limits[l.asset] = Limit(l.perTxCap, l.windowCap, l.escalationThreshold, l.window, true);
            p.assets.push(l.asset);
        }
        for (uint256 i; i < policy.rules.length; ++i) {
            CallRule calldata r = policy.rules[i];
            if (r.target == address(this)) revert InvalidPolicy("rule targets the account");
            bytes32 rk = _ruleKey(r.target, r.selector);
            if (p.ruleInfo[rk] != 0) revert InvalidPolicy("duplicate rule");
            p.ruleInfo[rk] = 1 + r.conditions.length;
            for (uint256 j; j < r.conditions.length; ++j) {
                p.conditions[rk][j] = r.conditions[j];
            }
            p.targets[r.target] = true;
            p.ruleKeys.push(rk);
        }
        for (uint256 i; i < policy.recipients.length; ++i) {
            address a = policy.recipients[i];
            if (p.isRecipient[a]) revert InvalidPolicy("duplicate recipient");
            p.isRecipient[a] = true;
            p.recipients.push(a);
        }
        KeyState storage k = _keys[key];
        k.validAfter = policy.validAfter;
        k.validUntil = policy.validUntil;
        k.rateLimit = policy.rateLimit;
        k.rateWindow = policy.rateWindow;
        k.pendingTtl = policy.pendingTtl;
        k.policyId = pid;
        k.revoked = false;
    }

    function _ruleKey(address target, bytes4 selector) private pure returns (bytes32) {
        return bytes32((uint256(uint160(target)) << 32) | uint256(uint32(selector)));
    }

    // ------------------------------------------------------------------------------------------ verdict

    /// @dev Why `key` may not act now regardless of what it does (`None` if it may).
    function _keyStatus(KeyState memory k) internal view returns (Refusal) {
        if (_frozen) return Refusal.Frozen;
        if (k.policyId == 0) return Refusal.UnknownKey;
        if (k.revoked) return Refusal.KeyRevoked;
        if (block.timestamp < k.validAfter) return Refusal.KeyNotYetValid;
        if (k.validUntil != 0 && block.timestamp > k.validUntil) return Refusal.KeyExpired;
        return Refusal.None;
    }

    /// @dev The full verdict on `key` running `calls` now. Pure of side effects, so the preview is exact.
    function _evaluate(address key, Call[] memory calls) internal view returns (Verdict memory v) {
        KeyState memory k = _keys[key];
        v.reason = _keyStatus(k);
        if (v.reason != Refusal.None) return v;
        PolicyStore storage p = _policies[k.policyId];
        if (_rateLimited(k, p)) {
            v.reason = Refusal.RateLimited;
            return v;
        }
        for (uint256 i; i < calls.length; ++i) {
            (Refusal r, bytes4 sel) = _checkCall(p, calls[i].target, calls[i].data);
            if (r != Refusal.None) {
                v.reason = r;
                v.target = calls[i].target;
                v.selector = sel;
                return v;
            }
        }
        (v.assets, v.totals, v.n) = _collectSpends(calls);
        _checkSpends(key, p, v);
    }

    function _checkCall(PolicyStore storage p, address target, bytes memory data)
        private
        view
        returns (Refusal, bytes4)
    {
        (bytes4 sel, bool ok) = TokenCalls.selectorOf(data);
        if (target == address(this)) return (Refusal.TargetNotAllowed, sel);
        uint256 info = ok ? p.ruleInfo[_ruleKey(target, sel)] : 0;
        if (info == 0) {
            // Only a miss pays for telling the two reasons apart.
            return (p.targets[target] ? Refusal.SelectorNotAllowed : Refusal.TargetNotAllowed, sel);
        }
        if (info > 1 && !_conditionsHold(p, p.conditions[_ruleKey(target, sel)], info - 1, data)) {
            return (Refusal.ConditionFailed, sel);
        }
        return (Refusal.None, sel);
    }

    function _conditionsHold(
        PolicyStore storage p,
        mapping(uint256 => ParamCondition) storage cs,
        uint256 count,
        bytes memory data
    ) private view returns (bool) {
        for (uint256 i; i < count; ++i) {
            ParamCondition storage c = cs[i];
            ConditionOp op = c.op;
            (bytes32 w, bool ok) = TokenCalls.word(data, c.paramIndex);
            if (!ok) return false;
            bool holds;
            // `value` (a second slot) is read only by the ops that use it.
            if (op == ConditionOp.InRecipients) holds = uint256(w) >> 160 == 0 && p.isRecipient[address(uint160(uint256(w)))];
            else if (op == ConditionOp.Equal) holds = w == c.value;
            else if (op == ConditionOp.NotEqual) holds = w != c.value;
            else if (op == ConditionOp.LessOrEqual) holds = uint256(w) <= uint256(c.value);
            else holds = uint256(w) >= uint256(c.value);
            if (!holds) return false;
        }
        return true;
    }

    /// @dev Per-asset totals moved by `calls` (native value and token spends; saturating).
    function _collectSpends(Call[] memory calls)
        internal
        view
        returns (address[] memory assets, uint256[] memory totals, uint256 n)
    {
        assets = new address[](calls.length * 2);
        totals = new uint256[](calls.length * 2);
        for (uint256 i; i < calls.length; ++i) {
            if (calls[i].value != 0) n = _add(assets, totals, n, address(0), calls[i].value);
            uint256 amount = TokenCalls.spendOf(calls[i].data, address(this));
            if (amount != 0) n = _add(assets, totals, n, calls[i].target, amount);
        }
    }

    function _add(address[] memory assets, uint256[] memory totals, uint256 n, address asset, uint256 amount)
        private
        pure
        returns (uint256)
    {
        for (uint256 j; j < n; ++j) {
            if (assets[j] == asset) {
                unchecked {
                    uint256 t = totals[j] + amount;
                    totals[j] = t < amount ? type(uint256).max : t;
                }
                return n;
            }
        }
        assets[n] = asset;
        totals[n] = amount;
        return n + 1;
    }

    function _checkSpends(address key, PolicyStore storage p, Verdict memory v) private view {
        for (uint256 j; j < v.n; ++j) {
            address asset = v.assets[j];
            uint256 total = v.totals[j];
            Limit memory l = p.limits[asset];
            Refusal r;
            if (!l.exists) {
                r = Refusal.AssetNotAllowed;
            } else if (total > l.perTxCap) {
                r = Refusal.PerTxCapExceeded;
            } else {
                (uint256 live, bool full) = _spends[key][asset].inspect(l.window);
                if (live + total > l.windowCap) r = Refusal.WindowCapExceeded;
                else if (full) r = Refusal.SpendLogFull;
            }
            if (r != Refusal.None) {
                v.reason = r;
                v.escalate = false;
                v.asset = asset;
                v.amount = total;
                return;
            }
            if (total > l.escalationThreshold) v.escalate = true;
        }
    }

    // ------------------------------------------------------------------------------------------ rate limit

    function _rateLimited(KeyState memory k, PolicyStore storage p) private view returns (bool) {
        if (k.rateLimit == 0) return false;
        uint256 count = p.rateCount;
        if (count < k.rateLimit) return false;
        uint256 oldest = _ringAt(p, count % k.rateLimit);
        return oldest + k.rateWindow > block.timestamp;
    }

    /// @dev Counts one action of the key (executed or queued) in its rate-limit ring.
    function _recordRate(KeyState storage k) internal {
        uint256 limit = k.rateLimit;
        if (limit == 0) return;
        PolicyStore storage p = _policies[k.policyId];
        uint256 count = p.rateCount;
        uint256 i = count % limit;
        uint256 shift = (i % 5) * 48;
        uint256 slot = p.rateRing[i / 5];
        p.rateRing[i / 5] = (slot & ~(uint256(type(uint48).max) << shift)) | (block.timestamp << shift);
        p.rateCount = uint64(count + 1);
    }

    function _ringAt(PolicyStore storage p, uint256 i) private view returns (uint256) {
        return (p.rateRing[i / 5] >> ((i % 5) * 48)) & type(uint48).max;
    }
}
