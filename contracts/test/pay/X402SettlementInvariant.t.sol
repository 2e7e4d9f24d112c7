// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {Vm} from "forge-std/Vm.sol";
import {StdInvariant} from "forge-std/StdInvariant.sol";

import {SettlementToken} from "../../src/pay/SettlementToken.sol";
import {X402Settlement} from "../../src/pay/X402Settlement.sol";
import {PaymentMerkle} from "../../src/pay/lib/PaymentMerkle.sol";
import {IInteractionReceipts} from "../../src/identity/interfaces/IInteractionReceipts.sol";
import {RepIdentityStandIn} from "../identity/utils/RepIdentityStandIn.sol";
import {BatchProofs} from "./utils/BatchProofs.sol";

/// @dev Random lone and batched settlements (with replays, broken signatures, wrong payees) and random proofs.
///      Ghost state is rebuilt from the settlement's own events.
contract X402SettlementHandler is Test {
    bytes32 internal constant SETTLED =
        keccak256("PaymentSettled(bytes32,uint256,address,address,uint256,bytes32,uint256)");
    bytes32 internal constant BATCH = keccak256("BatchSettled(uint256,bytes32,uint256,uint256)");

    SettlementToken public immutable token;
    X402Settlement public immutable settlement;
    uint256[3] internal pks = [uint256(0x7001), 0x7002, 0x7003];
    address[3] public payers;
    uint256[2] public agents;
    address[2] public payees;

    uint256 public totalSettled;
    uint256 public toppedUp;
    uint256 public duplicateSettlements;
    uint256 public batchedSettlements;
    uint256 public batchCountSum;
    bytes32[] public receiptIds;
    mapping(bytes32 => uint256) public timesSettled;
    mapping(bytes32 => IInteractionReceipts.InteractionReceipt) internal _ghost;
    mapping(bytes32 => bool) public stored;
    mapping(bytes32 => address) public ghostFrom;
    mapping(bytes32 => bytes32) public ghostNonce;
    mapping(uint256 => bytes32[]) internal _batchReceipts;

    constructor(
        SettlementToken token_,
        X402Settlement settlement_,
        uint256[2] memory agents_,
        address[2] memory payees_
    ) {
        token = token_;
        settlement = settlement_;
        agents = agents_;
        payees = payees_;
        for (uint256 i; i < 3; ++i) {
            payers[i] = vm.addr(pks[i]);
        }
    }

    function ghost(bytes32 id) external view returns (IInteractionReceipts.InteractionReceipt memory) {
        return _ghost[id];
    }

    function receiptCount() external view returns (uint256) {
        return receiptIds.length;
    }

    function _payment(uint256 seed) internal view returns (X402Settlement.Payment memory p) {
        uint256 who = seed % 3;
        uint256 agent = (seed >> 8) % 2;
        p.from = payers[who];
        p.to = (seed >> 16) % 11 == 0 ? address(0xBAD) : payees[agent];
        p.value = bound(seed >> 24, 0, 60e6); // above the balance sometimes; zero sometimes
        p.validBefore = block.timestamp + 1 hours;
        p.nonce = bytes32((seed >> 96) % 24); // small pool: replays are frequent
        p.agentId = (seed >> 128) % 13 == 0 ? 999 : agents[agent];
        p.paymentId = keccak256(abi.encode(seed));
        bytes32 digest = keccak256(
            abi.encodePacked(
                "\x19\x01",
                token.DOMAIN_SEPARATOR(),
                keccak256(
                    abi.encode(
                        token.TRANSFER_WITH_AUTHORIZATION_TYPEHASH(), p.from, p.to, p.value, 0, p.validBefore, p.nonce
                    )
                )
            )
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pks[who], digest);
        p.signature = abi.encodePacked(r, s, v);
        if ((seed >> 200) % 9 == 0) p.value += 1; // broken signature
    }

    function _absorb(Vm.Log[] memory logs, bool lone) internal {
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory l = logs[i];
            if (l.emitter != address(settlement)) continue;
            if (l.topics[0] == SETTLED) {
                bytes32 id = l.topics[1];
                (, uint256 amount,, uint256 batchId) = abi.decode(l.data, (address, uint256, bytes32, uint256));
                if (timesSettled[id]++ > 0) ++duplicateSettlements;
                totalSettled += amount;
                receiptIds.push(id);
                _ghost[id] = IInteractionReceipts.InteractionReceipt({
                    client: address(uint160(uint256(l.topics[3]))),
                    agentId: uint256(l.topics[2]),
                    asset: address(token),
                    amount: amount,
                    settledAt: uint64(block.timestamp)
                });
                if (lone) {
                    stored[id] = true;
                } else {
                    ++batchedSettlements;
                    _batchReceipts[batchId].push(id);
                }
            } else if (l.topics[0] == BATCH) {
                (, uint256 count,) = abi.decode(l.data, (bytes32, uint256, uint256));
                batchCountSum += count;
            }
        }
    }

    function _remember(X402Settlement.Payment memory p) internal {
        bytes32 id = settlement.receiptIdFor(p.from, p.nonce);
        ghostFrom[id] = p.from;
        ghostNonce[id] = p.nonce;
    }

    function settleOne(uint256 seed) external {
        X402Settlement.Payment memory p = _payment(seed);
        _remember(p);
        vm.recordLogs();
        // forge records the logs of reverted frames too: only a successful call's logs count.
        try settlement.settle(p) {
            _absorb(vm.getRecordedLogs(), true);
        } catch {
            vm.getRecordedLogs();
        }
    }

    function settleBatch(uint256 seed, uint8 n) external {
        n = uint8(bound(n, 1, 6));
        X402Settlement.Payment[] memory ps = new X402Settlement.Payment[](n);
        for (uint256 i; i < n; ++i) {
            ps[i] = _payment(uint256(keccak256(abi.encode(seed, i))));
            _remember(ps[i]);
        }
        vm.recordLogs();
        settlement.settleBatch(ps);
        _absorb(vm.getRecordedLogs(), false);
    }

    function prove(uint256 batchSeed, uint256 itemSeed) external {
        uint256 count = settlement.batchCount();
        if (count == 0) return;
        uint256 batchId = bound(batchSeed, 1, count);
        bytes32[] storage ids = _batchReceipts[batchId];
        uint256 index = bound(itemSeed, 0, ids.length - 1);
        bytes32[] memory leaves = new bytes32[](ids.length);
        for (uint256 i; i < ids.length; ++i) {
            IInteractionReceipts.InteractionReceipt memory r = _ghost[ids[i]];
            leaves[i] = PaymentMerkle.leaf(ids[i], r.client, r.agentId, r.asset, r.amount, r.settledAt);
        }
        settlement.proveReceipt(batchId, _ghost[ids[index]], ids[index], BatchProofs.proof(leaves, index));
        stored[ids[index]] = true;
    }

    /// @dev Tops a payer up from the faucet so that settlements keep succeeding.
    function topUp(uint256 who, uint256 amount) external {
        amount = bound(amount, 1, 100e6);
        token.faucet(payers[who % 3], amount);
        toppedUp += amount;
    }

    function warp(uint256 dt) external {
        vm.warp(block.timestamp + bound(dt, 1, 1 days));
    }
}

/// @dev Deployment shared by the invariant suite and its sanity test.
abstract contract X402SettlementInvariantBase is StdInvariant, Test {
    SettlementToken internal token;
    X402Settlement internal settlement;
    X402SettlementHandler internal handler;
    uint256 internal constant FUNDS = 200e6;

    function setUp() public virtual {
        vm.warp(1_750_000_000);
        address owner = makeAddr("owner");
        token = new SettlementToken(owner, true);
        RepIdentityStandIn identity = new RepIdentityStandIn();
        settlement = new X402Settlement(address(identity), address(token));
        address agentOwner = makeAddr("agentOwner");
        uint256[2] memory agents;
        address[2] memory payees = [makeAddr("payee0"), makeAddr("payee1")];
        for (uint256 i; i < 2; ++i) {
            vm.prank(agentOwner);
            agents[i] = identity.register();
            identity.setAgentWallet(agents[i], payees[i]);
        }
        handler = new X402SettlementHandler(token, settlement, agents, payees);
        for (uint256 i; i < 3; ++i) {
            address payer = handler.payers(i);
            vm.prank(owner);
            token.mint(payer, FUNDS);
        }
        targetContract(address(handler));
    }

    /// @dev One (payer, nonce) settles at most once: no receipt id is ever emitted twice.
    function _checkNonceSettlesAtMostOnce() internal view {
        assertEq(handler.duplicateSettlements(), 0);
        for (uint256 i; i < handler.receiptCount(); ++i) {
            bytes32 id = handler.receiptIds(i);
            assertTrue(token.authorizationState(handler.ghostFrom(id), handler.ghostNonce(id)));
        }
    }

    /// @dev What payers lost is what payees got is what was reported settled; the settlement holds nothing.
    function _checkValueConserved() internal view {
        uint256 held;
        for (uint256 i; i < 3; ++i) {
            held += token.balanceOf(handler.payers(i));
        }
        uint256 paidOut = 3 * FUNDS + handler.toppedUp() - held;
        uint256 received = token.balanceOf(handler.payees(0)) + token.balanceOf(handler.payees(1));
        assertEq(paidOut, handler.totalSettled());
        assertEq(received, handler.totalSettled());
        assertEq(token.balanceOf(address(settlement)), 0);
        assertEq(handler.batchCountSum(), handler.batchedSettlements());
    }

    /// @dev Every stored receipt is exactly a settled payment; unproven batched ones read as zero.
    function _checkReceiptsMatchSettledPayments() internal view {
        for (uint256 i; i < handler.receiptCount(); ++i) {
            bytes32 id = handler.receiptIds(i);
            IInteractionReceipts.InteractionReceipt memory r = settlement.interactionReceipt(id);
            if (!handler.stored(id)) {
                assertEq(r.settledAt, 0);
                continue;
            }
            IInteractionReceipts.InteractionReceipt memory g = handler.ghost(id);
            assertEq(r.client, g.client);
            assertEq(r.agentId, g.agentId);
            assertEq(r.asset, g.asset);
            assertEq(r.amount, g.amount);
            assertEq(r.settledAt, g.settledAt);
        }
    }
}

/// forge-config: default.invariant.runs = 64
/// forge-config: default.invariant.depth = 48
contract X402SettlementInvariantTest is X402SettlementInvariantBase {
    /// @dev One (payer, nonce) settles at most once: no receipt id is ever emitted twice.
    function invariant_nonceSettlesAtMostOnce() public view {
        _checkNonceSettlesAtMostOnce();
    }

    /// @dev What payers lost is what payees got is what was reported settled; the settlement holds nothing.
    function invariant_valueConserved() public view {
        _checkValueConserved();
    }

    /// @dev Every stored receipt is exactly a settled payment; unproven batched ones read as zero.
    function invariant_receiptsMatchSettledPayments() public view {
        _checkReceiptsMatchSettledPayments();
    }
}

/// @dev The handler's mix does settle payments, so the invariants above are not vacuous.
contract X402SettlementHandlerSanityTest is X402SettlementInvariantBase {
    function test_handler_settlesSomething() public {
        for (uint256 i; i < 20; ++i) {
            handler.settleBatch(uint256(keccak256(abi.encode("b", i))), 6);
            handler.settleOne(uint256(keccak256(abi.encode("o", i))));
        }
        assertGt(handler.batchedSettlements(), 5);
        assertGt(handler.receiptCount(), handler.batchedSettlements());
        handler.prove(1, 0);
        _checkNonceSettlesAtMostOnce();
        _checkValueConserved();
        _checkReceiptsMatchSettledPayments();
    }
}
