// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {StdInvariant} from "forge-std/StdInvariant.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {PaymentReceipts} from "../../src/pay/PaymentReceipts.sol";
import {ReputationRegistry} from "../../src/identity/ReputationRegistry.sol";
import {IInteractionReceipts} from "../../src/identity/interfaces/IInteractionReceipts.sol";
import {IReputationRegistry} from "../../src/identity/interfaces/IReputationRegistry.sol";
import {RepIdentityStandIn} from "../identity/utils/RepIdentityStandIn.sol";
import {RepTestBase} from "../identity/utils/RepTestBase.sol";

/// @dev Agent wallet that refuses native token.
contract PayRejectingWallet {}

/// @dev Agent wallet that tries to pay again from inside the payment and records what happened.
contract PayReentrantWallet {
    PaymentReceipts public immutable payments;
    uint256 public immutable agentId;
    bool public reentryFailed;
    bytes public reentryError;

    constructor(PaymentReceipts payments_, uint256 agentId_) {
        payments = payments_;
        agentId = agentId_;
    }

    receive() external payable {
        if (msg.value < 2) return;
        try payments.pay{value: 1}(agentId, "again") {}
        catch (bytes memory err) {
            reentryFailed = true;
            reentryError = err;
        }
    }
}

contract PaymentReceiptsTest is RepTestBase {
    event PaymentSettled(
        bytes32 indexed receiptId, uint256 indexed agentId, address indexed client, uint256 amount, bytes32 memo
    );

    PaymentReceipts internal payments;
    uint256 internal agentId;

    function setUp() public {
        _setUpIdentity();
        payments = new PaymentReceipts(address(identity));
        agentId = _registerAgent(alice);
        vm.deal(bob, 100 ether);
    }

    function _standInWithAgent() internal returns (RepIdentityStandIn standIn, PaymentReceipts p, uint256 id) {
        standIn = new RepIdentityStandIn();
        p = new PaymentReceipts(address(standIn));
        vm.prank(alice);
        id = standIn.register();
    }

    function test_constructor() public view {
        assertEq(payments.getIdentityRegistry(), address(identity));
        assertEq(payments.paymentCount(), 0);
    }

    function test_constructor_revertsOnZero() public {
        vm.expectRevert(PaymentReceipts.ZeroAddress.selector);
        new PaymentReceipts(address(0));
    }

    function test_pay_forwardsRecordsAndEmits() public {
        vm.warp(1_700_000_123);
        bytes32 expectedId = payments.receiptIdFor(0);
        address payee = identity.getAgentWallet(agentId);
        if (payee == address(0)) payee = alice;
        uint256 before = payee.balance;

        vm.expectEmit(address(payments));
        emit PaymentSettled(expectedId, agentId, bob, 1 ether, "order-1");
        vm.prank(bob);
        bytes32 receiptId = payments.pay{value: 1 ether}(agentId, "order-1");

        assertEq(receiptId, expectedId);
        assertEq(payee.balance - before, 1 ether);
        assertEq(address(payments).balance, 0);
        assertEq(payments.paymentCount(), 1);
        IInteractionReceipts.InteractionReceipt memory r = payments.interactionReceipt(receiptId);
        assertEq(r.client, bob);
        assertEq(r.agentId, agentId);
        assertEq(r.asset, address(0));
        assertEq(r.amount, 1 ether);
        assertEq(r.settledAt, 1_700_000_123);
    }

    function test_pay_receiptIdsAreUniqueAndDeterministic() public {
        vm.startPrank(bob);
        bytes32 a = payments.pay{value: 1}(agentId, 0);
        bytes32 b = payments.pay{value: 1}(agentId, 0);
        vm.stopPrank();
        assertTrue(a != b);
        assertEq(a, keccak256(abi.encode(block.chainid, address(payments), uint256(0))));
        assertEq(b, keccak256(abi.encode(block.chainid, address(payments), uint256(1))));
    }

    function test_pay_goesToAgentWallet() public {
        (RepIdentityStandIn standIn, PaymentReceipts p, uint256 id) = _standInWithAgent();
        address wallet = makeAddr("wallet");
        standIn.setAgentWallet(id, wallet);
        assertEq(p.payeeOf(id), wallet);
        vm.prank(bob);
        p.pay{value: 3 ether}(id, 0);
        assertEq(wallet.balance, 3 ether);
    }

    function test_pay_fallsBackToOwnerWhenWalletUnset() public {
        (RepIdentityStandIn standIn, PaymentReceipts p, uint256 id) = _standInWithAgent();
        standIn.setAgentWallet(id, address(0)); // e.g. cleared by a transfer
        assertEq(p.payeeOf(id), alice);
        uint256 before = alice.balance;
        vm.prank(bob);
        p.pay{value: 2 ether}(id, 0);
        assertEq(alice.balance - before, 2 ether);
    }

    function test_pay_revertsOnZeroValue() public {
        vm.prank(bob);
        vm.expectRevert(PaymentReceipts.ZeroPayment.selector);
        payments.pay(agentId, 0);
    }

    function test_pay_revertsForUnknownAgent() public {
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(PaymentReceipts.AgentNotFound.selector, 4242));
        payments.pay{value: 1}(4242, 0);
        vm.expectRevert(abi.encodeWithSelector(PaymentReceipts.AgentNotFound.selector, 4242));
        payments.payeeOf(4242);
    }

    function test_pay_revertsWhenPayeeRejects() public {
        (RepIdentityStandIn standIn, PaymentReceipts p, uint256 id) = _standInWithAgent();
        address wallet = address(new PayRejectingWallet());
        standIn.setAgentWallet(id, wallet);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(PaymentReceipts.PaymentForwardFailed.selector, wallet, 1 ether));
        p.pay{value: 1 ether}(id, 0);
        assertEq(p.paymentCount(), 0, "nothing recorded");
    }

    function test_pay_blocksReentrancy() public {
        (RepIdentityStandIn standIn, PaymentReceipts p, uint256 id) = _standInWithAgent();
        PayReentrantWallet wallet = new PayReentrantWallet(p, id);
        standIn.setAgentWallet(id, address(wallet));
        vm.deal(address(wallet), 1 ether);
        vm.prank(bob);
        p.pay{value: 5}(id, 0);
        assertTrue(wallet.reentryFailed());
        assertEq(
            wallet.reentryError(),
            abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector)
        );
        assertEq(p.paymentCount(), 1);
        assertEq(address(p).balance, 0);
    }

    function test_interactionReceipt_unknownIsZero() public view {
        IInteractionReceipts.InteractionReceipt memory r = payments.interactionReceipt("nope");
        assertEq(r.client, address(0));
        assertEq(r.agentId, 0);
        assertEq(r.amount, 0);
        assertEq(r.settledAt, 0);
    }

    function test_rejectsPlainTransfers() public {
        vm.prank(bob);
        (bool ok,) = address(payments).call{value: 1}("");
        assertFalse(ok);
    }

    /// @dev End to end: pay, then leave verified feedback backed by the payment's receipt.
    function test_integration_paymentBacksVerifiedFeedback() public {
        ReputationRegistry rep = new ReputationRegistry(address(identity), address(this));
        rep.setReceiptSource(address(payments), true);
        vm.prank(bob);
        bytes32 receiptId = payments.pay{value: 0.1 ether}(agentId, "job-7");

        // Someone else cannot use bob's receipt...
        vm.prank(carol);
        vm.expectRevert(
            abi.encodeWithSelector(
                IReputationRegistry.ReceiptClientMismatch.selector, address(payments), receiptId, bob, carol
            )
        );
        rep.giveFeedbackWithReceipt(agentId, 100, 0, "", "", "", "", 0, address(payments), receiptId);

        vm.prank(bob);
        rep.giveFeedbackWithReceipt(agentId, 100, 0, "starred", "", "", "", 0, address(payments), receiptId);
        (address src, bytes32 rid) = rep.feedbackReceipt(agentId, bob, 1);
        assertEq(src, address(payments));
        assertEq(rid, receiptId);

        // ...and bob cannot use it twice.
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(IReputationRegistry.ReceiptAlreadyUsed.selector, address(payments), receiptId)
        );
        rep.giveFeedbackWithReceipt(agentId, 100, 0, "", "", "", "", 0, address(payments), receiptId);
    }

    function testFuzz_pay(uint96 amount, bytes32 memo, address payer) public {
        vm.assume(payer != address(0) && payer.code.length == 0 && uint160(payer) > 0xff);
        amount = uint96(bound(amount, 1, type(uint96).max));
        address payee = payments.payeeOf(agentId);
        // Paying oneself moves nothing: the balance check below would not hold.
        vm.assume(payer != payee);
        vm.deal(payer, amount);
        uint256 before = payee.balance;
        vm.prank(payer);
        bytes32 id = payments.pay{value: amount}(agentId, memo);
        assertEq(payee.balance - before, amount);
        assertEq(address(payments).balance, 0);
        IInteractionReceipts.InteractionReceipt memory r = payments.interactionReceipt(id);
        assertEq(r.client, payer);
        assertEq(r.amount, amount);
    }
}

/// @dev Random payers pay random agents; ghost totals track what was paid.
contract PaymentReceiptsHandler is Test {
    PaymentReceipts public immutable payments;
    uint256[3] public agents;
    address[3] public wallets;
    address[3] public payers;

    uint256 public totalPaid;
    uint256 public successfulPayments;
    mapping(bytes32 => bool) public seenReceipt;
    uint256 public duplicateReceipts;

    constructor(PaymentReceipts payments_, uint256[3] memory agents_, address[3] memory wallets_) {
        payments = payments_;
        agents = agents_;
        wallets = wallets_;
        payers = [makeAddr("payer0"), makeAddr("payer1"), makeAddr("payer2")];
    }

    function pay(uint256 payerSeed, uint256 agentSeed, uint256 amount, bytes32 memo) external {
        address payer = payers[payerSeed % 3];
        amount = bound(amount, 0, 10 ether); // 0 reverts
        vm.deal(payer, payer.balance + amount);
        vm.prank(payer);
        try payments.pay{value: amount}(agents[agentSeed % 3], memo) returns (bytes32 id) {
            totalPaid += amount;
            ++successfulPayments;
            if (seenReceipt[id]) ++duplicateReceipts;
            seenReceipt[id] = true;
        } catch {}
    }
}

contract PaymentReceiptsInvariantTest is StdInvariant, Test {
    PaymentReceipts internal payments;
    PaymentReceiptsHandler internal handler;
    address[3] internal wallets;
    uint256[3] internal initialBalances;

    function setUp() public {
        RepIdentityStandIn standIn = new RepIdentityStandIn();
        payments = new PaymentReceipts(address(standIn));
        uint256[3] memory agents;
        address owner = makeAddr("agentOwner");
        for (uint256 i; i < 3; ++i) {
            vm.prank(owner);
            agents[i] = standIn.register();
        }
        // Agent 0 pays its owner (no wallet set), agents 1 and 2 have their own wallets.
        standIn.setAgentWallet(agents[0], address(0));
        wallets = [owner, makeAddr("wallet1"), makeAddr("wallet2")];
        standIn.setAgentWallet(agents[1], wallets[1]);
        standIn.setAgentWallet(agents[2], wallets[2]);
        for (uint256 i; i < 3; ++i) {
            initialBalances[i] = wallets[i].balance;
        }
        handler = new PaymentReceiptsHandler(payments, agents, wallets);
        targetContract(address(handler));
    }

    /// @dev Everything paid was forwarded; the contract never keeps native token.
    function invariant_paidEqualsForwarded() public view {
        uint256 forwarded;
        for (uint256 i; i < 3; ++i) {
            forwarded += wallets[i].balance - initialBalances[i];
        }
        assertEq(forwarded, handler.totalPaid());
        assertEq(address(payments).balance, 0);
    }

    /// @dev One receipt per payment, never a repeated id.
    function invariant_oneUniqueReceiptPerPayment() public view {
        assertEq(payments.paymentCount(), handler.successfulPayments());
        assertEq(handler.duplicateReceipts(), 0);
    }
}
