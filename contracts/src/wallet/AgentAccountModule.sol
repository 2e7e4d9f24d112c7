// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IAgentAccount} from "./interfaces/IAgentAccount.sol";
import {AgentPolicy} from "./AgentPolicy.sol";
import {SpendWindow} from "./lib/SpendWindow.sol";

/// @title AgentAccountModule
/// @notice The owner-side half of {AgentAccount} (setup, owner calls, keys, freeze, pending approvals, policy
///         views), run only by DELEGATECALL from an account so that the account's code stays under the EIP-170
///         size limit. The agent-key paths (`executeAsAgent`, `authorizeTokenSignature`, `previewAgentCalls`),
///         ERC-1271 and ERC-4337 validation live in {AgentAccount} itself.
/// @dev Same storage layout as the account (all storage is in {AgentPolicy}). Called directly, it acts on its own
///      empty storage, which holds nothing of value; the constructor also marks it initialized.
contract AgentAccountModule is AgentPolicy, ReentrancyGuardTransient {
    using SpendWindow for SpendWindow.Log;

    IEntryPoint private immutable _entryPoint;

    /// @param entryPoint_ The EntryPoint of the account implementation that deploys this module.
    constructor(IEntryPoint entryPoint_) {
        _entryPoint = entryPoint_;
        _initialized = true;
    }

    function _entryPointAddress() internal view override returns (address) {
        return address(_entryPoint);
    }

    modifier onlyOwnerOrEntryPoint() {
        if (msg.sender != _owner && msg.sender != address(_entryPoint)) revert NotOwnerOrEntryPoint(msg.sender);
        _;
    }

    // ------------------------------------------------------------------------------------------ setup

    /// @inheritdoc IAgentAccount
    function initialize(address owner_, uint256 agentId_, address guardian_) external {
        if (_initialized) revert AlreadyInitialized();
        if (owner_ == address(0)) revert InvalidOwner();
        _initialized = true;
        _owner = owner_;
        _agentId = agentId_;
        _guardian = guardian_;
        emit AccountInitialized(agentId_, owner_, guardian_);
    }

    // ------------------------------------------------------------------------------------------ owner

    /// @inheritdoc IAgentAccount
    function execute(address target, uint256 value, bytes calldata data)
        external
        onlyOwnerOrEntryPoint
        returns (bytes memory result)
    {
        bool ok;
        (ok, result) = target.call{value: value}(data);
        if (!ok) revert CallFailed(0, result);
        emit OwnerExecuted(_agentId, target, value, _selector(data));
    }

    /// @inheritdoc IAgentAccount
    function executeBatch(Call[] calldata calls) external onlyOwnerOrEntryPoint {
        uint256 id = _agentId;
        for (uint256 i; i < calls.length; ++i) {
            Call calldata c = calls[i];
            (bool ok, bytes memory ret) = c.target.call{value: c.value}(c.data);
            if (!ok) revert CallFailed(i, ret);
            emit OwnerExecuted(id, c.target, c.value, _selector(c.data));
        }
    }

    /// @inheritdoc IAgentAccount
    function setKey(address key, KeyPolicy calldata policy) external onlyOwnerOrEntryPoint {
        _storePolicy(key, policy);
        emit KeySet(_agentId, key, policy.validAfter, policy.validUntil, keccak256(abi.encode(policy)));
    }

    /// @inheritdoc IAgentAccount
    function revokeKey(address key) external onlyOwnerOrEntryPoint {
        KeyState storage k = _keys[key];
        if (k.policyId == 0) revert KeyNotFound(key);
        k.revoked = true;
        unchecked {
            ++k.epoch; // kills every ERC-1271 authorization the key holds, even if it is set again later
        }
        emit KeyRevoked(_agentId, key);
    }

    /// @inheritdoc IAgentAccount
    function setGuardian(address guardian_) external onlyOwnerOrEntryPoint {
        _guardian = guardian_;
        emit GuardianSet(_agentId, guardian_);
    }

    /// @inheritdoc IAgentAccount
    function freeze() external {
        if (msg.sender != _owner && msg.sender != _guardian && msg.sender != address(_entryPoint)) {
            revert NotOwnerOrGuardian(msg.sender);
        }
        _frozen = true;
        emit Frozen(_agentId, msg.sender);
    }

    /// @inheritdoc IAgentAccount
    function unfreeze() external onlyOwnerOrEntryPoint {
        _frozen = false;
        emit Unfrozen(_agentId, msg.sender);
    }

    /// @inheritdoc IAgentAccount
    function approvePending(uint256 pendingId, Call[] calldata calls) external onlyOwnerOrEntryPoint nonReentrant {
        Pending storage p = _queued(pendingId);
        p.status = PendingStatus.Approved;
        address key = p.key;
        uint256 id = _agentId;
        emit PendingApproved(id, pendingId);
        if (p.kind == 0) {
            if (keccak256(abi.encode(calls)) != p.callsHash) revert PendingCallsMismatch(pendingId);
            Call[] memory m = calls;
            (address[] memory assets, uint256[] memory totals, uint256 n) = _collectSpends(m);
            _recordSpends(key, assets, totals, n, true);
            _run(calls);
            emit AgentActionExecuted(id, key, p.callsHash, calls.length);
        } else {
            PendingSpend memory s = _pendingSpend[pendingId];
            address[] memory assets = new address[](1);
            uint256[] memory totals = new uint256[](1);
            assets[0] = s.token;
            totals[0] = s.value;
            _recordSpends(key, assets, totals, s.value == 0 ? 0 : 1, true);
            _sigAuth[p.callsHash] = SigAuth(key, _keys[key].epoch);
        }
    }

    /// @inheritdoc IAgentAccount
    function rejectPending(uint256 pendingId) external onlyOwnerOrEntryPoint {
        Pending storage p = _pending[pendingId];
        if (p.status == PendingStatus.None) revert UnknownPending(pendingId);
        if (p.status != PendingStatus.Queued) revert PendingNotQueued(pendingId, p.status);
        p.status = PendingStatus.Rejected;
        emit PendingRejected(_agentId, pendingId);
    }

    /// @inheritdoc IAgentAccount
    function expirePending(uint256 pendingId) external {
        Pending storage p = _pending[pendingId];
        if (p.status == PendingStatus.None) revert UnknownPending(pendingId);
        if (p.status != PendingStatus.Queued || block.timestamp <= p.expiresAt) {
            revert PendingNotQueued(pendingId, p.status);
        }
        p.status = PendingStatus.Expired;
        emit PendingExpired(_agentId, pendingId);
    }

    /// @dev The queued pending `pendingId`, reverting when it is unknown, decided or expired.
    function _queued(uint256 pendingId) private view returns (Pending storage p) {
        p = _pending[pendingId];
        PendingStatus s = p.status;
        if (s == PendingStatus.None) revert UnknownPending(pendingId);
        if (s == PendingStatus.Queued && block.timestamp > p.expiresAt) s = PendingStatus.Expired;
        if (s != PendingStatus.Queued) revert PendingNotQueued(pendingId, s);
    }

    // ------------------------------------------------------------------------------------------ agent key

    function _selector(bytes calldata data) private pure returns (bytes4) {
        return data.length >= 4 ? bytes4(data[:4]) : bytes4(0);
    }

    // ------------------------------------------------------------------------------------------ views

    /// @inheritdoc IAgentAccount
    function keyPolicy(address key) external view returns (KeyPolicy memory policy, bool revoked) {
        KeyState memory k = _keys[key];
        if (k.policyId == 0) return (policy, false);
        PolicyStore storage p = _policies[k.policyId];
        policy.validAfter = k.validAfter;
        policy.validUntil = k.validUntil;
        policy.rateLimit = k.rateLimit;
        policy.rateWindow = k.rateWindow;
        policy.pendingTtl = k.pendingTtl;
        policy.limits = new AssetLimit[](p.assets.length);
        for (uint256 i; i < p.assets.length; ++i) {
            address a = p.assets[i];
            Limit storage l = p.limits[a];
            policy.limits[i] = AssetLimit(a, l.perTxCap, l.windowCap, l.window, l.escalationThreshold);
        }
        policy.rules = new CallRule[](p.ruleKeys.length);
        for (uint256 i; i < p.ruleKeys.length; ++i) {
            bytes32 rk = p.ruleKeys[i];
            ParamCondition[] memory conditions = new ParamCondition[](p.ruleInfo[rk] - 1);
            for (uint256 j; j < conditions.length; ++j) {
                conditions[j] = p.conditions[rk][j];
            }
            policy.rules[i] = CallRule(address(uint160(uint256(rk) >> 32)), bytes4(uint32(uint256(rk))), conditions);
        }
        policy.recipients = p.recipients;
        return (policy, k.revoked);
    }

    /// @inheritdoc IAgentAccount
    function spentInWindow(address key, address asset) external view returns (uint256 spent) {
        Limit storage l = _policies[_keys[key].policyId].limits[asset];
        if (!l.exists) return 0;
        (spent,) = _spends[key][asset].inspect(l.window);
    }

    /// @inheritdoc IAgentAccount
    function pending(uint256 pendingId) external view returns (Pending memory p) {
        p = _pending[pendingId];
        if (p.status == PendingStatus.Queued && block.timestamp > p.expiresAt) p.status = PendingStatus.Expired;
    }

    // ------------------------------------------------------------------------------------------ account-only

    /// @notice Runs in {AgentAccount} itself; never delegated here.
    function executeAsAgent(address, Call[] calldata) external pure returns (bool, uint256) {
        revert NotFromEntryPoint(address(0));
    }

    /// @notice Runs in {AgentAccount} itself; never delegated here.
    function authorizeTokenSignature(address, uint8, address, address, uint256, uint256, uint256, bytes32)
        external
        pure
        returns (bytes32, uint256)
    {
        revert NotFromEntryPoint(address(0));
    }

    /// @notice Runs in {AgentAccount} itself; never delegated here.
    function previewAgentCalls(address, Call[] calldata) external pure returns (Refusal, bool, address, uint256) {
        revert NotFromEntryPoint(address(0));
    }

    /// @notice Runs in {AgentAccount} itself; never delegated here.
    function messageHash(bytes32) external pure returns (bytes32) {
        revert NotFromEntryPoint(address(0));
    }
}
