// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IAccount} from "@account-abstraction/contracts/interfaces/IAccount.sol";
import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";
import {
    SIG_VALIDATION_FAILED,
    SIG_VALIDATION_SUCCESS,
    _packValidationData
} from "@account-abstraction/contracts/core/Helpers.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";
import {ERC721Holder} from "@openzeppelin/contracts/token/ERC721/utils/ERC721Holder.sol";
import {ERC1155Holder} from "@openzeppelin/contracts/token/ERC1155/utils/ERC1155Holder.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IAgentAccount} from "./interfaces/IAgentAccount.sol";
import {AgentPolicy} from "./AgentPolicy.sol";
import {AgentAccountModule} from "./AgentAccountModule.sol";
import {TokenCalls} from "./lib/TokenCalls.sol";

/// @title AgentAccount
/// @notice The smart-contract account of one ERC-8004 agent: the owner has full control, agent keys act only inside
///         their on-chain policy (see {AgentPolicy}), with ERC-1271 and ERC-4337 (EntryPoint v0.8). Deployed as OZ
///         Clones of one implementation by {AgentAccountFactory}.
/// @dev The agent-key paths (`executeAsAgent`, `authorizeTokenSignature`, `previewAgentCalls`), ERC-1271 and
///      `validateUserOp` run here; the owner-side functions and policy views are DELEGATECALLed to {AgentAccountModule} (deployed by this constructor) to stay under
///      EIP-170. Access control of those lives in the module, which runs with this account's storage and sender.
contract AgentAccount is
    AgentPolicy,
    IAccount,
    IERC1271,
    EIP712,
    ERC721Holder,
    ERC1155Holder,
    ReentrancyGuardTransient
{
    bytes32 private constant MESSAGE_TYPEHASH = keccak256("AgentAccountMessage(bytes32 hash)");
    bytes32 private constant TRANSFER_AUTH_TYPEHASH = keccak256(
        "TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)"
    );
    bytes32 private constant RECEIVE_AUTH_TYPEHASH = keccak256(
        "ReceiveWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)"
    );
    bytes32 private constant PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");


    IEntryPoint private immutable _entryPoint;
    address private immutable _module;

    /// @param entryPoint_ The ERC-4337 v0.8 EntryPoint every clone trusts.
    constructor(IEntryPoint entryPoint_) EIP712("AgentAccount", "1") {
        _entryPoint = entryPoint_;
        _module = address(new AgentAccountModule(entryPoint_));
        _initialized = true; // the implementation itself is never usable
    }

    /// @notice Native token sent to the account.
    receive() external payable {}

    /// @notice The EntryPoint this account accepts user operations from.
    function entryPoint() external view returns (IEntryPoint) {
        return _entryPoint;
    }

    /// @notice The module the owner-side functions run in (by DELEGATECALL).
    function module() external view returns (address) {
        return _module;
    }

    function _entryPointAddress() internal view override returns (address) {
        return address(_entryPoint);
    }

    // ------------------------------------------------------------------------------------------ agent key

    /// @inheritdoc IAgentAccount
    function executeAsAgent(address key, Call[] calldata calls)
        external
        nonReentrant
        returns (bool executed, uint256 pendingId)
    {
        _requireKeyOrEntryPoint(key);
        Verdict memory v = _evaluate(key, calls);
        if (v.reason != Refusal.None) {
            emit AgentActionRefused(_agentId, key, v.reason, v.target, v.selector, v.asset, v.amount);
            return (false, 0);
        }
        KeyState storage k = _keys[key];
        _recordRate(k);
        bytes32 callsHash = keccak256(abi.encode(calls));
        if (v.escalate) return (false, _queue(key, k.pendingTtl, 0, callsHash));
        // Effects before interactions: the spend is on the books before any token can call back.
        _recordSpends(key, v.assets, v.totals, v.n, false);
        _run(calls);
        emit AgentActionExecuted(_agentId, key, callsHash, calls.length);
        return (true, 0);
    }

    /// @inheritdoc IAgentAccount
    function authorizeTokenSignature(
        address key,
        uint8 kind,
        address token,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce
    ) external nonReentrant returns (bytes32 digest, uint256 pendingId) {
        _requireKeyOrEntryPoint(key);
        if (kind > 2) revert UnsupportedSignatureKind(kind);
        Call[] memory m = new Call[](1);
        m[0] = Call(token, 0, _authorizationCall(kind, to, value, validAfter, validBefore, nonce));
        Verdict memory v = _evaluate(key, m);
        if (v.reason != Refusal.None) {
            emit AgentActionRefused(_agentId, key, v.reason, v.target, v.selector, v.asset, v.amount);
            return (bytes32(0), 0);
        }
        digest = _authorizationDigest(kind, token, to, value, validAfter, validBefore, nonce);
        KeyState storage k = _keys[key];
        _recordRate(k);
        if (v.escalate) {
            pendingId = _queue(key, k.pendingTtl, 1, digest);
            _pendingSpend[pendingId] = PendingSpend(token, value);
            return (bytes32(0), pendingId);
        }
        _recordSpends(key, v.assets, v.totals, v.n, false);
        _sigAuth[digest] = SigAuth(key, k.epoch);
        emit SignatureAuthorized(_agentId, key, digest, token, to, value);
    }

    /// @dev The token call a signature of `kind` stands for, so rules and argument conditions apply to it.
    function _authorizationCall(
        uint8 kind,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce
    ) private view returns (bytes memory) {
        if (kind == 2) {
            return abi.encodeWithSelector(TokenCalls.PERMIT, address(this), to, value, validBefore, 0, 0, 0);
        }
        bytes4 sel = kind == 0 ? TokenCalls.TRANSFER_WITH_AUTHORIZATION : TokenCalls.RECEIVE_WITH_AUTHORIZATION;
        return abi.encodeWithSelector(sel, address(this), to, value, validAfter, validBefore, nonce, 0, 0, 0);
    }

    /// @dev The EIP-712 digest of the authorization under the token's own domain.
    function _authorizationDigest(
        uint8 kind,
        address token,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce
    ) private view returns (bytes32) {
        (bool ok, bytes memory ret) = token.staticcall(abi.encodeWithSignature("DOMAIN_SEPARATOR()"));
        if (!ok || ret.length != 32) revert UnsupportedToken(token);
        bytes32 structHash;
        if (kind == 2) {
            structHash = keccak256(abi.encode(PERMIT_TYPEHASH, address(this), to, value, uint256(nonce), validBefore));
        } else {
            bytes32 typehash = kind == 0 ? TRANSFER_AUTH_TYPEHASH : RECEIVE_AUTH_TYPEHASH;
            structHash = keccak256(abi.encode(typehash, address(this), to, value, validAfter, validBefore, nonce));
        }
        return MessageHashUtils.toTypedDataHash(abi.decode(ret, (bytes32)), structHash);
    }

    /// @inheritdoc IAgentAccount
    function previewAgentCalls(address key, Call[] calldata calls)
        external
        view
        returns (Refusal reason, bool escalate, address asset, uint256 amount)
    {
        Verdict memory v = _evaluate(key, calls);
        return (v.reason, v.escalate, v.asset, v.amount);
    }

    // ------------------------------------------------------------------------------------------ ERC-1271

    /// @inheritdoc IAgentAccount
    function messageHash(bytes32 hash) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(MESSAGE_TYPEHASH, hash)));
    }

    /// @notice ERC-1271: a 20-byte signature is an agent key (see {authorizeTokenSignature}); anything else must be
    ///         the owner's signature (ECDSA, or the owner's own ERC-1271) over {messageHash}.
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        bool valid = signature.length == 20
            ? signatureAuthorized(address(bytes20(signature)), hash)
            : SignatureChecker.isValidSignatureNow(_owner, messageHash(hash), signature);
        return valid ? IERC1271.isValidSignature.selector : bytes4(0xffffffff);
    }

    /// @notice ERC-165: ERC-1271, ERC-721/1155 receivers, ERC-4337 IAccount.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IERC1271).interfaceId || interfaceId == type(IERC721Receiver).interfaceId
            || interfaceId == type(IAccount).interfaceId || super.supportsInterface(interfaceId);
    }

    // ------------------------------------------------------------------------------------------ ERC-4337

    /// @notice ERC-4337 v0.8 validation. The owner's signature allows any call data. An agent key's signature
    ///         allows only `executeAsAgent(key, …)` / `authorizeTokenSignature(key, …)` for that same key, only
    ///         while the key is known, not revoked and the account not frozen, only with a paymaster (so a stolen
    ///         key cannot spend the account's native token on gas), and only inside the key's validity times.
    ///         Caps and rules are enforced at execution.
    function validateUserOp(PackedUserOperation calldata userOp, bytes32 userOpHash, uint256 missingAccountFunds)
        external
        returns (uint256 validationData)
    {
        if (msg.sender != address(_entryPoint)) revert NotFromEntryPoint(msg.sender);
        validationData = _validateUserOpSignature(userOp, userOpHash);
        if (missingAccountFunds != 0) {
            (bool ok,) = payable(msg.sender).call{value: missingAccountFunds}("");
            (ok); // the EntryPoint checks the deposit itself
        }
    }

    function _validateUserOpSignature(PackedUserOperation calldata userOp, bytes32 userOpHash)
        private
        view
        returns (uint256)
    {
        address signer;
        if (userOp.signature.length == 65) {
            (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(userOpHash, userOp.signature);
            if (err == ECDSA.RecoverError.NoError) signer = recovered;
        }
        address o = _owner;
        if (signer != address(0) && signer == o) return SIG_VALIDATION_SUCCESS;
        if (signer == address(0)) {
            if (o.code.length != 0 && SignatureChecker.isValidERC1271SignatureNow(o, userOpHash, userOp.signature)) {
                return SIG_VALIDATION_SUCCESS;
            }
            return SIG_VALIDATION_FAILED;
        }
        bytes calldata cd = userOp.callData;
        if (cd.length < 36) return SIG_VALIDATION_FAILED;
        bytes4 sel = bytes4(cd[:4]);
        if (sel != this.executeAsAgent.selector && sel != this.authorizeTokenSignature.selector) {
            return SIG_VALIDATION_FAILED;
        }
        if (uint256(bytes32(cd[4:36])) != uint256(uint160(signer))) return SIG_VALIDATION_FAILED;
        KeyState memory k = _keys[signer];
        if (k.policyId == 0 || k.revoked || _frozen) return SIG_VALIDATION_FAILED;
        if (userOp.paymasterAndData.length < 20) return SIG_VALIDATION_FAILED;
        // The EntryPoint treats validAfter as exclusive; the policy's is inclusive.
        return _packValidationData(false, k.validUntil, k.validAfter == 0 ? 0 : k.validAfter - 1);
    }

    // ------------------------------------------------------------------------------------------ delegated to the module

    /// @inheritdoc IAgentAccount
    function initialize(address, uint256, address) external {
        _delegate();
    }

    /// @inheritdoc IAgentAccount
    function execute(address, uint256, bytes calldata) external returns (bytes memory result) {
        (result); // returned by the module
        _delegate();
    }

    /// @inheritdoc IAgentAccount
    function executeBatch(Call[] calldata) external {
        _delegate();
    }

    /// @inheritdoc IAgentAccount
    function setKey(address, KeyPolicy calldata) external {
        _delegate();
    }

    /// @inheritdoc IAgentAccount
    function revokeKey(address) external {
        _delegate();
    }

    /// @inheritdoc IAgentAccount
    function setGuardian(address) external {
        _delegate();
    }

    /// @inheritdoc IAgentAccount
    function freeze() external {
        _delegate();
    }

    /// @inheritdoc IAgentAccount
    function unfreeze() external {
        _delegate();
    }

    /// @inheritdoc IAgentAccount
    function approvePending(uint256, Call[] calldata) external {
        _delegate();
    }

    /// @inheritdoc IAgentAccount
    function rejectPending(uint256) external {
        _delegate();
    }

    /// @inheritdoc IAgentAccount
    function expirePending(uint256) external {
        _delegate();
    }

    /// @inheritdoc IAgentAccount
    function keyPolicy(address) external view returns (KeyPolicy memory policy, bool revoked) {
        _asView(_delegate)();
        (policy, revoked); // returned by the module
    }

    /// @inheritdoc IAgentAccount
    function spentInWindow(address, address) external view returns (uint256 spent) {
        _asView(_delegate)();
        (spent); // returned by the module
    }

    /// @inheritdoc IAgentAccount
    function pending(uint256) external view returns (Pending memory p) {
        _asView(_delegate)();
        (p); // returned by the module
    }

    /// @dev Runs the current call in the module (same storage, same sender) and returns or reverts with its data.
    function _delegate() private {
        address m = _module;
        assembly {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), m, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    /// @dev Lets a view delegate: the module's views write nothing, and a static context stays static through
    ///      DELEGATECALL, so a stray write would revert rather than happen.
    function _asView(function() internal fn) private pure returns (function() internal view viewFn) {
        assembly {
            viewFn := fn
        }
    }
}
