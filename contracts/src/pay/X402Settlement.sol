// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {IAgentWalletView, IInteractionReceipts} from "../identity/interfaces/IInteractionReceipts.sol";
import {PaymentMerkle} from "./lib/PaymentMerkle.sol";

/// @title IERC3009Bytes
/// @notice The EIP-3009 entry point X402Settlement calls: the `bytes signature` overload of USDC v2.2, which takes
///         ECDSA and ERC-1271 signatures alike.
interface IERC3009Bytes {
    /// @notice Move `value` from `from` to `to` under `from`'s signed authorization.
    function transferWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        bytes calldata signature
    ) external;
}

/// @title X402Settlement
/// @notice Settles x402 `exact` (EIP-3009) payments to ERC-8004 agents, one at a time or many per transaction, and
///         serves the interaction receipts the reputation registry accepts as proof of a paid interaction.
/// @dev Each payment is the payer's EIP-3009 authorization plus the agent it pays (`agentId`) and the x402
///      payment id. The authorization's `to` must be the agent's payee: its verified `agentWallet`, else its owner
///      (the PaymentReceipts rule). Tokens go straight from payer to payee; this contract never holds any.
///      `settle` stores the receipt at once (2 slots). `settleBatch` stores one Merkle root per batch instead
///      (see `PaymentMerkle` for the leaf and tree), and `proveReceipt` later stores the receipt of one leaf so
///      `interactionReceipt` returns it. The token enforces that an authorization nonce is used once, so a payment
///      settles at most once; a receipt is recorded only for an item whose transfer succeeded.
///      Anyone may settle (the signature binds payer, payee, amount and validity) and anyone may prove.
///      Stored receipts need `amount < 2**96` and `agentId < 2**192`; other payments are refused.
contract X402Settlement is IInteractionReceipts, ReentrancyGuardTransient {
    /// @notice One x402 payment: the signed EIP-3009 authorization plus what it pays for.
    /// @param from        Payer (EOA or ERC-1271 account), the receipt's client.
    /// @param to          Payee; must be the payee of `agentId`.
    /// @param value       Amount in token base units.
    /// @param validAfter  EIP-3009 lower time bound (exclusive).
    /// @param validBefore EIP-3009 upper time bound (exclusive).
    /// @param nonce       EIP-3009 nonce, unique per payer.
    /// @param signature   The payer's signature (65-byte ECDSA or whatever its ERC-1271 accepts).
    /// @param agentId     The paid agent (ERC-8004 identity registry token id).
    /// @param paymentId   The x402 payment id (payment-identifier extension), only emitted.
    struct Payment {
        address from;
        address to;
        uint256 value;
        uint256 validAfter;
        uint256 validBefore;
        bytes32 nonce;
        bytes signature;
        uint256 agentId;
        bytes32 paymentId;
    }

    /// @dev A stored receipt in two slots: client + amount, agent id + settlement time.
    struct StoredReceipt {
        address client;
        uint96 amount;
        uint192 agentId;
        uint64 settledAt;
    }

    /// @notice Gas forwarded to the token per batch item, so one payer's ERC-1271 check cannot starve the batch.
    uint256 public constant ITEM_GAS_LIMIT = 300_000;

    /// @notice `client` paid `amount` to agent `agentId` at `payee`. `batchId` is 0 for a lone `settle`.
    event PaymentSettled(
        bytes32 indexed receiptId,
        uint256 indexed agentId,
        address indexed client,
        address payee,
        uint256 amount,
        bytes32 paymentId,
        uint256 batchId
    );
    /// @notice A batch item was skipped; `reason` is the revert data (a custom error of this contract or the token).
    event PaymentFailed(bytes32 indexed paymentId, address indexed client, bytes32 nonce, bytes reason);
    /// @notice A batch settled `count` payments worth `total`; `root` commits to their receipts.
    event BatchSettled(uint256 indexed batchId, bytes32 root, uint256 count, uint256 total);
    /// @notice The receipt `receiptId` of batch `batchId` was proven and stored.
    event ReceiptProven(bytes32 indexed receiptId, uint256 indexed batchId);

    /// @notice A constructor address was zero.
    error ZeroAddress();
    /// @notice The payment has no value.
    error ZeroPayment();
    /// @notice The identity registry has no agent `agentId`.
    error AgentNotFound(uint256 agentId);
    /// @notice The authorization pays `to`, but agent `agentId` is paid at `payee`.
    error PayeeMismatch(uint256 agentId, address to, address payee);
    /// @notice `amount` or `agentId` does not fit a stored receipt (2**96, 2**192).
    error ReceiptOverflow(uint256 agentId, uint256 amount);
    /// @notice `settleBatch` was called with no payment.
    error EmptyBatch();
    /// @notice No batch `batchId` was settled.
    error UnknownBatch(uint256 batchId);
    /// @notice The proof does not link the receipt to the batch root.
    error InvalidProof(uint256 batchId, bytes32 receiptId);

    IAgentWalletView private immutable _identityRegistry;
    IERC3009Bytes private immutable _token;

    /// @notice Number of batches settled; batch ids run from 1 to `batchCount`.
    uint256 public batchCount;

    mapping(uint256 batchId => bytes32 root) private _batchRoots;
    mapping(bytes32 receiptId => StoredReceipt) private _receipts;

    /// @param identityRegistry_ The ERC-8004 identity registry resolving agents to their wallet and owner.
    /// @param token_            The EIP-3009 token settled (e.g. SettlementToken, USDC).
    constructor(address identityRegistry_, address token_) {
        if (identityRegistry_ == address(0) || token_ == address(0)) revert ZeroAddress();
        _identityRegistry = IAgentWalletView(identityRegistry_);
        _token = IERC3009Bytes(token_);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Settlement
    // ---------------------------------------------------------------------------------------------------------------

    /// @notice Settle one payment and store its receipt. Reverts on any failure (nothing is recorded then).
    /// @param p The payment.
    /// @return receiptId `receiptIdFor(p.from, p.nonce)`.
    function settle(Payment calldata p) external nonReentrant returns (bytes32 receiptId) {
        bytes memory err = _check(p, payeeOf(p.agentId));
        if (err.length != 0) {
            assembly ("memory-safe") {
                revert(add(err, 0x20), mload(err))
            }
        }
        receiptId = receiptIdFor(p.from, p.nonce);
        _receipts[receiptId] = StoredReceipt({
            client: p.from, amount: uint96(p.value), agentId: uint192(p.agentId), settledAt: uint64(block.timestamp)
        });
        emit PaymentSettled(receiptId, p.agentId, p.from, p.to, p.value, p.paymentId, 0);
        _token.transferWithAuthorization(p.from, p.to, p.value, p.validAfter, p.validBefore, p.nonce, p.signature);
    }

    /// @notice Settle many payments in one transaction. A failing item (unknown agent, wrong payee, zero value, or
    ///         a token revert: bad signature, used nonce, expired, balance…) emits `PaymentFailed` and is skipped;
    ///         the batch never reverts for one bad item. The settled items' receipts are committed as one Merkle
    ///         root (see `PaymentMerkle`); prove one with `proveReceipt`.
    /// @param ps The payments, in the order their leaves take in the tree.
    /// @return batchId The new batch id, or 0 when nothing settled (no batch is stored then).
    /// @return settled How many payments settled.
    function settleBatch(Payment[] calldata ps) external nonReentrant returns (uint256 batchId, uint256 settled) {
        uint256 n = ps.length;
        if (n == 0) revert EmptyBatch();
        batchId = batchCount + 1;
        bytes32[] memory leaves = new bytes32[](n);
        uint256 total;
        uint64 settledAt = uint64(block.timestamp);
        // One-entry cache: consecutive items usually pay the same agent.
        uint256 cachedAgent;
        address cachedPayee;
        bool cached;

        for (uint256 i; i < n; ++i) {
            Payment calldata p = ps[i];
            if (!cached || p.agentId != cachedAgent) {
                cachedAgent = p.agentId;
                cachedPayee = _payeeOrZero(p.agentId);
                cached = true;
            }
            (bool ok, bytes32 leaf) = _settleItem(p, cachedPayee, batchId, settledAt);
            if (ok) {
                leaves[settled++] = leaf;
                total += p.value;
            }
        }

        if (settled == 0) return (0, 0);
        batchCount = batchId;
        bytes32 root = PaymentMerkle.root(leaves, settled);
        _batchRoots[batchId] = root;
        emit BatchSettled(batchId, root, settled, total);
    }

    /// @notice Store the receipt of a batched payment from its Merkle proof, so `interactionReceipt` returns it.
    ///         Anyone may call; proving an already stored receipt changes nothing.
    /// @param batchId   The batch that settled the payment.
    /// @param r         The receipt as committed: client, agentId, asset (the token), amount, settledAt.
    /// @param receiptId The payment's receipt id (`receiptIdFor(client, nonce)`).
    /// @param proof     Sibling hashes from the leaf up (src/pay/settlementProof.ts builds it).
    function proveReceipt(uint256 batchId, InteractionReceipt calldata r, bytes32 receiptId, bytes32[] calldata proof)
        external
    {
        bytes32 root = _batchRoots[batchId];
        if (root == 0) revert UnknownBatch(batchId);
        bytes32 leaf = PaymentMerkle.leaf(receiptId, r.client, r.agentId, r.asset, r.amount, r.settledAt);
        if (!MerkleProof.verifyCalldata(proof, root, leaf)) revert InvalidProof(batchId, receiptId);
        if (_receipts[receiptId].settledAt != 0) return;
        // A committed leaf always fits: `_check` refused anything larger before settling.
        _receipts[receiptId] = StoredReceipt({
            client: r.client, amount: uint96(r.amount), agentId: uint192(r.agentId), settledAt: r.settledAt
        });
        emit ReceiptProven(receiptId, batchId);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IInteractionReceipts
    /// @dev Receipts of `settle`, and of batched payments once proven; unknown ids return an all-zero receipt.
    function interactionReceipt(bytes32 receiptId) external view returns (InteractionReceipt memory receipt) {
        StoredReceipt storage s = _receipts[receiptId];
        if (s.settledAt == 0) return receipt;
        receipt = InteractionReceipt({
            client: s.client, agentId: s.agentId, asset: address(_token), amount: s.amount, settledAt: s.settledAt
        });
    }

    /// @notice Where a payment to `agentId` goes: its verified agent wallet, or its owner if none is set.
    ///         Reverts with `AgentNotFound` for an unknown agent.
    function payeeOf(uint256 agentId) public view returns (address payee) {
        payee = _payeeOrZero(agentId);
        if (payee == address(0)) revert AgentNotFound(agentId);
    }

    /// @notice The receipt id of the payment authorized by `from` with `nonce`, on this chain and contract.
    function receiptIdFor(address from, bytes32 nonce) public view returns (bytes32) {
        return keccak256(abi.encode(block.chainid, address(this), from, nonce));
    }

    /// @notice The Merkle leaf of receipt `receiptId` (see `PaymentMerkle`).
    function leafOf(bytes32 receiptId, InteractionReceipt calldata r) external pure returns (bytes32) {
        return PaymentMerkle.leaf(receiptId, r.client, r.agentId, r.asset, r.amount, r.settledAt);
    }

    /// @notice The Merkle root of batch `batchId`, zero if unknown.
    function batchRoot(uint256 batchId) external view returns (bytes32) {
        return _batchRoots[batchId];
    }

    /// @notice The token settled.
    function token() external view returns (address) {
        return address(_token);
    }

    /// @notice The identity registry payments are resolved against.
    function getIdentityRegistry() external view returns (address) {
        return address(_identityRegistry);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------------------------

    /// @dev The payee of `agentId`, zero for an unknown agent.
    function _payeeOrZero(uint256 agentId) private view returns (address payee) {
        address owner;
        try _identityRegistry.ownerOf(agentId) returns (address o) {
            owner = o;
        } catch {}
        if (owner == address(0)) return address(0);
        payee = _identityRegistry.getAgentWallet(agentId);
        if (payee == address(0)) payee = owner;
    }

    /// @dev Settles one batch item: returns its leaf, or emits `PaymentFailed` and returns false. Everything it
    ///      allocates is dead on return, so it hands its memory back (the batch's memory cost stays linear).
    function _settleItem(Payment calldata p, address payee, uint256 batchId, uint64 settledAt)
        private
        returns (bool ok, bytes32 leaf)
    {
        uint256 freeMemory;
        assembly {
            freeMemory := mload(0x40)
        }
        bytes memory err =
            payee == address(0) ? abi.encodeWithSelector(AgentNotFound.selector, p.agentId) : _check(p, payee);
        if (err.length == 0) (ok, err) = _pull(p);
        if (ok) {
            bytes32 receiptId = receiptIdFor(p.from, p.nonce);
            emit PaymentSettled(receiptId, p.agentId, p.from, p.to, p.value, p.paymentId, batchId);
            leaf = PaymentMerkle.leaf(receiptId, p.from, p.agentId, address(_token), p.value, settledAt);
        }
        if (!ok) emit PaymentFailed(p.paymentId, p.from, p.nonce, err);
        assembly {
            mstore(0x40, freeMemory)
        }
    }

    /// @dev Runs the item's EIP-3009 transfer with at most `ITEM_GAS_LIMIT` gas; returns the revert data on failure.
    function _pull(Payment calldata p) private returns (bool ok, bytes memory err) {
        try _token.transferWithAuthorization{gas: ITEM_GAS_LIMIT}(
            p.from, p.to, p.value, p.validAfter, p.validBefore, p.nonce, p.signature
        ) {
            ok = true;
        } catch (bytes memory reason) {
            err = reason;
        }
    }

    /// @dev The revert data refusing `p` for an agent paid at `payee`, or empty when `p` may settle.
    function _check(Payment calldata p, address payee) private pure returns (bytes memory) {
        if (p.to != payee) return abi.encodeWithSelector(PayeeMismatch.selector, p.agentId, p.to, payee);
        if (p.value == 0) return abi.encodeWithSelector(ZeroPayment.selector);
        if (p.value > type(uint96).max || p.agentId > type(uint192).max) {
            return abi.encodeWithSelector(ReceiptOverflow.selector, p.agentId, p.value);
        }
        return "";
    }
}
