// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Vm} from "forge-std/Vm.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

import {SettlementToken} from "../../src/pay/SettlementToken.sol";
import {X402Settlement} from "../../src/pay/X402Settlement.sol";
import {PaymentMerkle} from "../../src/pay/lib/PaymentMerkle.sol";
import {ReputationRegistry} from "../../src/identity/ReputationRegistry.sol";
import {IInteractionReceipts} from "../../src/identity/interfaces/IInteractionReceipts.sol";
import {IReputationRegistry} from "../../src/identity/interfaces/IReputationRegistry.sol";
import {PayTestBase, MockSigningWallet, MockApprovingWallet, GasBurningWallet} from "./utils/PayTestBase.sol";
import {BatchProofs, ReentrantToken} from "./utils/BatchProofs.sol";

contract X402SettlementTest is PayTestBase {
    event PaymentSettled(
        bytes32 indexed receiptId,
        uint256 indexed agentId,
        address indexed client,
        address payee,
        uint256 amount,
        bytes32 paymentId,
        uint256 batchId
    );
    event PaymentFailed(bytes32 indexed paymentId, address indexed client, bytes32 nonce, bytes reason);
    event BatchSettled(uint256 indexed batchId, bytes32 root, uint256 count, uint256 total);
    event ReceiptProven(bytes32 indexed receiptId, uint256 indexed batchId);

    uint256 internal constant PK = 0xC0FFEE;
    address internal payer;

    function setUp() public {
        _deployPay();
        payer = vm.addr(PK);
        _fund(payer, 1_000e6);
        _fund(payee, 1e6); // payee already holds tokens, as a merchant would
    }

    // ---- helpers ----------------------------------------------------------------------------------------------------

    function _pk(uint256 i) internal pure returns (uint256) {
        return 0x10000 + i;
    }

    function _batch(uint256 n) internal returns (X402Settlement.Payment[] memory ps) {
        ps = new X402Settlement.Payment[](n);
        for (uint256 i; i < n; ++i) {
            _fund(vm.addr(_pk(i)), 10e6);
            ps[i] = _payment(_pk(i), 1e6 + i, bytes32(i + 1));
        }
    }

    function _receipt(X402Settlement.Payment memory p, uint64 at)
        internal
        view
        returns (IInteractionReceipts.InteractionReceipt memory)
    {
        return IInteractionReceipts.InteractionReceipt({
            client: p.from, agentId: p.agentId, asset: address(token), amount: p.value, settledAt: at
        });
    }

    function _leaf(X402Settlement.Payment memory p, uint64 at) internal view returns (bytes32) {
        return
            PaymentMerkle.leaf(settlement.receiptIdFor(p.from, p.nonce), p.from, p.agentId, address(token), p.value, at);
    }

    function _leaves(X402Settlement.Payment[] memory ps, uint64 at) internal view returns (bytes32[] memory l) {
        l = new bytes32[](ps.length);
        for (uint256 i; i < ps.length; ++i) {
            l[i] = _leaf(ps[i], at);
        }
    }

    function _assertReceipt(bytes32 id, X402Settlement.Payment memory p, uint64 at) internal view {
        IInteractionReceipts.InteractionReceipt memory r = settlement.interactionReceipt(id);
        assertEq(r.client, p.from);
        assertEq(r.agentId, p.agentId);
        assertEq(r.asset, address(token));
        assertEq(r.amount, p.value);
        assertEq(r.settledAt, at);
    }

    // ---- constructor and views --------------------------------------------------------------------------------------

    function test_constructor() public view {
        assertEq(settlement.token(), address(token));
        assertEq(settlement.getIdentityRegistry(), address(identity));
        assertEq(settlement.batchCount(), 0);
        assertEq(settlement.payeeOf(agentId), payee);
    }

    function test_constructor_revertsOnZero() public {
        vm.expectRevert(X402Settlement.ZeroAddress.selector);
        new X402Settlement(address(0), address(token));
        vm.expectRevert(X402Settlement.ZeroAddress.selector);
        new X402Settlement(address(identity), address(0));
    }

    function test_receiptIdFor() public view {
        assertEq(
            settlement.receiptIdFor(payer, "n"),
            keccak256(abi.encode(block.chainid, address(settlement), payer, bytes32("n")))
        );
    }

    function test_payeeOf_fallsBackToOwnerAndRevertsForUnknown() public {
        identity.setAgentWallet(agentId, address(0));
        assertEq(settlement.payeeOf(agentId), agentOwner);
        vm.expectRevert(abi.encodeWithSelector(X402Settlement.AgentNotFound.selector, 999));
        settlement.payeeOf(999);
    }

    function test_interactionReceipt_unknownIsZero() public view {
        IInteractionReceipts.InteractionReceipt memory r = settlement.interactionReceipt("nope");
        assertEq(r.client, address(0));
        assertEq(r.agentId, 0);
        assertEq(r.asset, address(0));
        assertEq(r.amount, 0);
        assertEq(r.settledAt, 0);
    }

    function test_leafOf_matchesLibrary() public view {
        X402Settlement.Payment memory p = _payment(PK, 5, "l");
        bytes32 id = settlement.receiptIdFor(p.from, p.nonce);
        assertEq(settlement.leafOf(id, _receipt(p, 77)), _leaf(p, 77));
        assertEq(
            _leaf(p, 77),
            keccak256(bytes.concat(keccak256(abi.encode(id, p.from, p.agentId, address(token), p.value, uint64(77)))))
        );
    }

    // ---- settle -----------------------------------------------------------------------------------------------------

    function test_settle_paysStoresAndEmits() public {
        X402Settlement.Payment memory p = _payment(PK, 3e6, "n1");
        bytes32 expectedId = settlement.receiptIdFor(payer, "n1");
        vm.expectEmit(address(settlement));
        emit PaymentSettled(expectedId, agentId, payer, payee, 3e6, p.paymentId, 0);
        vm.prank(relayer);
        bytes32 id = settlement.settle(p);
        assertEq(id, expectedId);
        assertEq(token.balanceOf(payee), 4e6);
        assertEq(token.balanceOf(payer), 997e6);
        assertEq(token.balanceOf(address(settlement)), 0);
        assertTrue(token.authorizationState(payer, "n1"));
        _assertReceipt(id, p, uint64(block.timestamp));
    }

    function test_settle_fallsBackToOwner() public {
        identity.setAgentWallet(agentId, address(0));
        X402Settlement.Payment memory p = _paymentFrom(PK, payer, agentOwner, 2e6, "n1", agentId);
        settlement.settle(p);
        assertEq(token.balanceOf(agentOwner), 2e6);
    }

    function test_settle_erc1271Payer() public {
        MockSigningWallet w = new MockSigningWallet(payer);
        _fund(address(w), 5e6);
        X402Settlement.Payment memory p = _paymentFrom(PK, address(w), payee, 5e6, "n1", agentId);
        bytes32 id = settlement.settle(p);
        assertEq(token.balanceOf(address(w)), 0);
        assertEq(settlement.interactionReceipt(id).client, address(w));
    }

    function test_settle_revertsPayeeMismatch() public {
        X402Settlement.Payment memory p = _paymentFrom(PK, payer, relayer, 1e6, "n1", agentId);
        vm.expectRevert(abi.encodeWithSelector(X402Settlement.PayeeMismatch.selector, agentId, relayer, payee));
        settlement.settle(p);
    }

    function test_settle_revertsUnknownAgent() public {
        X402Settlement.Payment memory p = _paymentFrom(PK, payer, payee, 1e6, "n1", 999);
        vm.expectRevert(abi.encodeWithSelector(X402Settlement.AgentNotFound.selector, 999));
        settlement.settle(p);
    }

    function test_settle_revertsZeroValue() public {
        X402Settlement.Payment memory p = _payment(PK, 0, "n1");
        vm.expectRevert(X402Settlement.ZeroPayment.selector);
        settlement.settle(p);
    }

    function test_settle_revertsReceiptOverflow() public {
        uint256 big = uint256(type(uint96).max) + 1;
        X402Settlement.Payment memory p = _payment(PK, big, "n1");
        vm.expectRevert(abi.encodeWithSelector(X402Settlement.ReceiptOverflow.selector, agentId, big));
        settlement.settle(p);
    }

    function test_settle_revertsBadSignatureAndRecordsNothing() public {
        X402Settlement.Payment memory p = _payment(PK, 1e6, "n1");
        p.value = 2e6; // not what was signed
        vm.expectRevert(SettlementToken.InvalidSignature.selector);
        settlement.settle(p);
        assertEq(settlement.interactionReceipt(settlement.receiptIdFor(payer, "n1")).settledAt, 0);
    }

    function test_settle_revertsReplay() public {
        X402Settlement.Payment memory p = _payment(PK, 1e6, "n1");
        settlement.settle(p);
        vm.expectRevert(
            abi.encodeWithSelector(SettlementToken.AuthorizationUsedOrCanceled.selector, payer, bytes32("n1"))
        );
        settlement.settle(p);
        assertEq(token.balanceOf(payee), 2e6);
    }

    function test_settle_blocksReentrancy() public {
        ReentrantToken evil = new ReentrantToken();
        X402Settlement s = new X402Settlement(address(identity), address(evil));
        X402Settlement.Payment memory p = _payment(PK, 1e6, "n1");
        X402Settlement.Payment[] memory ps = new X402Settlement.Payment[](1);
        ps[0] = p;
        evil.arm(address(s), abi.encodeCall(X402Settlement.settleBatch, (ps)));
        s.settle(p);
        assertTrue(evil.reentryFailed());
        assertEq(
            evil.reentryError(), abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector)
        );
        assertEq(s.batchCount(), 0);
    }

    // ---- settleBatch ------------------------------------------------------------------------------------------------

    function test_settleBatch_settlesAllAndCommitsRoot() public {
        X402Settlement.Payment[] memory ps = _batch(5);
        uint64 at = uint64(block.timestamp);
        bytes32 expectedRoot = BatchProofs.root(_leaves(ps, at));
        uint256 before = token.balanceOf(payee);
        vm.expectEmit(address(settlement));
        emit PaymentSettled(
            settlement.receiptIdFor(ps[0].from, ps[0].nonce),
            agentId,
            ps[0].from,
            payee,
            ps[0].value,
            ps[0].paymentId,
            1
        );
        vm.recordLogs();
        vm.prank(relayer);
        (uint256 batchId, uint256 settled) = settlement.settleBatch(ps);
        assertEq(batchId, 1);
        assertEq(settled, 5);
        assertEq(settlement.batchCount(), 1);
        assertEq(settlement.batchRoot(1), expectedRoot);
        assertEq(token.balanceOf(payee) - before, 5e6 + 10);
        assertEq(token.balanceOf(address(settlement)), 0);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        Vm.Log memory last = logs[logs.length - 1];
        assertEq(last.topics[0], BatchSettled.selector);
        assertEq(uint256(last.topics[1]), 1);
        assertEq(last.data, abi.encode(expectedRoot, uint256(5), uint256(5e6 + 10)));
        // Batched receipts are not stored until proven.
        assertEq(settlement.interactionReceipt(settlement.receiptIdFor(ps[0].from, ps[0].nonce)).settledAt, 0);
    }

    function test_settleBatch_skipsFailingItems() public {
        X402Settlement.Payment[] memory ps = _batch(7);
        ps[1].value += 1; // bad signature
        ps[2].to = relayer; // wrong payee
        ps[3].agentId = 999; // unknown agent
        ps[4] = _payment(_pk(4), 0, bytes32(uint256(5))); // zero value
        ps[6] = ps[0]; // replay of item 0 inside the batch
        ps[6].paymentId = "dup";

        vm.expectEmit(address(settlement));
        emit PaymentFailed(
            ps[1].paymentId, ps[1].from, ps[1].nonce, abi.encodeWithSelector(SettlementToken.InvalidSignature.selector)
        );
        vm.expectEmit(address(settlement));
        emit PaymentFailed(
            ps[2].paymentId,
            ps[2].from,
            ps[2].nonce,
            abi.encodeWithSelector(X402Settlement.PayeeMismatch.selector, agentId, relayer, payee)
        );
        vm.expectEmit(address(settlement));
        emit PaymentFailed(
            ps[3].paymentId, ps[3].from, ps[3].nonce, abi.encodeWithSelector(X402Settlement.AgentNotFound.selector, 999)
        );
        vm.expectEmit(address(settlement));
        emit PaymentFailed(
            ps[4].paymentId, ps[4].from, ps[4].nonce, abi.encodeWithSelector(X402Settlement.ZeroPayment.selector)
        );
        vm.expectEmit(address(settlement));
        emit PaymentFailed(
            "dup",
            ps[6].from,
            ps[6].nonce,
            abi.encodeWithSelector(SettlementToken.AuthorizationUsedOrCanceled.selector, ps[6].from, ps[6].nonce)
        );
        (uint256 batchId, uint256 settled) = settlement.settleBatch(ps);
        assertEq(batchId, 1);
        assertEq(settled, 2);

        X402Settlement.Payment[] memory ok = new X402Settlement.Payment[](2);
        ok[0] = ps[0];
        ok[1] = ps[5];
        assertEq(settlement.batchRoot(1), BatchProofs.root(_leaves(ok, uint64(block.timestamp))));
        assertFalse(token.authorizationState(ps[1].from, ps[1].nonce), "failed item's nonce stays usable");
        assertEq(token.balanceOf(payee), 1e6 + ps[0].value + ps[5].value);
    }

    function test_settleBatch_allFailingStoresNoBatch() public {
        X402Settlement.Payment[] memory ps = _batch(2);
        ps[0].value = 0;
        ps[1].to = relayer;
        (uint256 batchId, uint256 settled) = settlement.settleBatch(ps);
        assertEq(batchId, 0);
        assertEq(settled, 0);
        assertEq(settlement.batchCount(), 0);
    }

    /// @dev The x402 agent-account path: a 20-byte key "signature" for a digest the account approved.
    function test_settleBatch_erc1271ApprovedDigest() public {
        MockApprovingWallet w = new MockApprovingWallet();
        _fund(address(w), 10e6);
        address key = makeAddr("agentKey");
        X402Settlement.Payment[] memory ps = new X402Settlement.Payment[](2);
        for (uint256 i; i < 2; ++i) {
            bytes32 nonce = bytes32(i + 100);
            uint256 vb = block.timestamp + 1 hours;
            ps[i] = X402Settlement.Payment({
                from: address(w),
                to: payee,
                value: 2e6,
                validAfter: 0,
                validBefore: vb,
                nonce: nonce,
                signature: abi.encodePacked(key),
                agentId: agentId,
                paymentId: nonce
            });
        }
        // Only the first authorization was approved by the account.
        w.approve(
            _authDigest(
                token.TRANSFER_WITH_AUTHORIZATION_TYPEHASH(), address(w), payee, 2e6, 0, ps[0].validBefore, ps[0].nonce
            ),
            key
        );
        vm.expectEmit(address(settlement));
        emit PaymentFailed(
            ps[1].paymentId, address(w), ps[1].nonce, abi.encodeWithSelector(SettlementToken.InvalidSignature.selector)
        );
        (, uint256 settled) = settlement.settleBatch(ps);
        assertEq(settled, 1);
        assertEq(token.balanceOf(address(w)), 8e6);
    }

    function test_settleBatch_revertsEmpty() public {
        vm.expectRevert(X402Settlement.EmptyBatch.selector);
        settlement.settleBatch(new X402Settlement.Payment[](0));
    }

    function test_settleBatch_gasBurningWalletDoesNotStarveBatch() public {
        X402Settlement.Payment[] memory ps = _batch(3);
        address burner = address(new GasBurningWallet());
        _fund(burner, 1e6);
        ps[1] = _paymentFrom(_pk(1), burner, payee, 1e6, "b", agentId);
        (, uint256 settled) = settlement.settleBatch{gas: 2_000_000}(ps);
        assertEq(settled, 2);
    }

    function test_settleBatch_idsAdvance() public {
        X402Settlement.Payment[] memory a = _batch(1);
        settlement.settleBatch(a);
        X402Settlement.Payment[] memory b = new X402Settlement.Payment[](1);
        b[0] = _payment(PK, 1, "second");
        (uint256 batchId,) = settlement.settleBatch(b);
        assertEq(batchId, 2);
        assertEq(settlement.batchRoot(2), _leaf(b[0], uint64(block.timestamp)), "single leaf is the root");
    }

    function test_settleBatch_mixedAgents() public {
        address wallet2 = makeAddr("wallet2");
        vm.prank(agentOwner);
        uint256 agent2 = identity.register();
        identity.setAgentWallet(agent2, wallet2);
        X402Settlement.Payment[] memory ps = new X402Settlement.Payment[](3);
        ps[0] = _payment(PK, 1, "a");
        ps[1] = _paymentFrom(PK, payer, wallet2, 2, "b", agent2);
        ps[2] = _payment(PK, 3, "c");
        (, uint256 settled) = settlement.settleBatch(ps);
        assertEq(settled, 3);
        assertEq(token.balanceOf(wallet2), 2);
    }

    function test_settleBatch_blocksReentrancy() public {
        ReentrantToken evil = new ReentrantToken();
        X402Settlement s = new X402Settlement(address(identity), address(evil));
        X402Settlement.Payment[] memory ps = new X402Settlement.Payment[](1);
        ps[0] = _payment(PK, 1e6, "n1");
        evil.arm(address(s), abi.encodeCall(X402Settlement.settle, (ps[0])));
        s.settleBatch(ps);
        assertTrue(evil.reentryFailed());
        assertEq(
            evil.reentryError(), abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector)
        );
    }

    // ---- proveReceipt -----------------------------------------------------------------------------------------------

    function test_proveReceipt_storesEveryReceipt() public {
        X402Settlement.Payment[] memory ps = _batch(7);
        uint64 at = uint64(block.timestamp);
        (uint256 batchId,) = settlement.settleBatch(ps);
        vm.warp(block.timestamp + 100);
        bytes32[] memory leaves = _leaves(ps, at);
        for (uint256 i; i < ps.length; ++i) {
            bytes32 id = settlement.receiptIdFor(ps[i].from, ps[i].nonce);
            vm.expectEmit(address(settlement));
            emit ReceiptProven(id, batchId);
            settlement.proveReceipt(batchId, _receipt(ps[i], at), id, BatchProofs.proof(leaves, i));
            _assertReceipt(id, ps[i], at);
        }
    }

    function test_proveReceipt_idempotent() public {
        X402Settlement.Payment[] memory ps = _batch(3);
        uint64 at = uint64(block.timestamp);
        (uint256 batchId,) = settlement.settleBatch(ps);
        bytes32 id = settlement.receiptIdFor(ps[2].from, ps[2].nonce);
        bytes32[] memory proof = BatchProofs.proof(_leaves(ps, at), 2);
        settlement.proveReceipt(batchId, _receipt(ps[2], at), id, proof);
        vm.recordLogs();
        settlement.proveReceipt(batchId, _receipt(ps[2], at), id, proof);
        assertEq(vm.getRecordedLogs().length, 0);
        _assertReceipt(id, ps[2], at);
    }

    function test_proveReceipt_revertsUnknownBatch() public {
        X402Settlement.Payment memory p = _payment(PK, 1, "n");
        vm.expectRevert(abi.encodeWithSelector(X402Settlement.UnknownBatch.selector, 1));
        settlement.proveReceipt(1, _receipt(p, 1), "id", new bytes32[](0));
    }

    function test_proveReceipt_revertsForgedReceipt() public {
        X402Settlement.Payment[] memory ps = _batch(4);
        uint64 at = uint64(block.timestamp);
        (uint256 batchId,) = settlement.settleBatch(ps);
        bytes32 id = settlement.receiptIdFor(ps[1].from, ps[1].nonce);
        bytes32[] memory proof = BatchProofs.proof(_leaves(ps, at), 1);
        IInteractionReceipts.InteractionReceipt memory r = _receipt(ps[1], at);
        r.amount += 1;
        vm.expectRevert(abi.encodeWithSelector(X402Settlement.InvalidProof.selector, batchId, id));
        settlement.proveReceipt(batchId, r, id, proof);
        r = _receipt(ps[1], at);
        r.client = relayer;
        vm.expectRevert(abi.encodeWithSelector(X402Settlement.InvalidProof.selector, batchId, id));
        settlement.proveReceipt(batchId, r, id, proof);
        r = _receipt(ps[1], at);
        vm.expectRevert(abi.encodeWithSelector(X402Settlement.InvalidProof.selector, batchId, bytes32("other")));
        settlement.proveReceipt(batchId, r, "other", proof);
    }

    /// @dev End to end: a batched payment, proven, backs one verified feedback of its payer.
    function test_integration_batchedPaymentBacksVerifiedFeedback() public {
        ReputationRegistry rep = new ReputationRegistry(address(identity), address(this));
        rep.setReceiptSource(address(settlement), true);
        X402Settlement.Payment[] memory ps = _batch(3);
        uint64 at = uint64(block.timestamp);
        (uint256 batchId,) = settlement.settleBatch(ps);
        bytes32 id = settlement.receiptIdFor(ps[1].from, ps[1].nonce);

        vm.prank(ps[1].from);
        vm.expectRevert(abi.encodeWithSelector(IReputationRegistry.ReceiptNotFound.selector, address(settlement), id));
        rep.giveFeedbackWithReceipt(agentId, 100, 0, "", "", "", "", 0, address(settlement), id);

        settlement.proveReceipt(batchId, _receipt(ps[1], at), id, BatchProofs.proof(_leaves(ps, at), 1));
        vm.prank(ps[1].from);
        rep.giveFeedbackWithReceipt(agentId, 100, 0, "paid", "", "", "", 0, address(settlement), id);
        (address src, bytes32 rid) = rep.feedbackReceipt(agentId, ps[1].from, 1);
        assertEq(src, address(settlement));
        assertEq(rid, id);
    }

    // ---- fuzz -------------------------------------------------------------------------------------------------------

    /// @dev Any batch with any failing subset: the root commits exactly the settled items, each provable.
    function testFuzz_settleBatch_commitsSettledItems(uint8 n, uint256 failMask) public {
        n = uint8(bound(n, 1, 24));
        X402Settlement.Payment[] memory ps = _batch(n);
        uint256 okCount;
        for (uint256 i; i < n; ++i) {
            if ((failMask >> i) & 1 == 1) ps[i].value += 1; // breaks the signature
            else ++okCount;
        }
        X402Settlement.Payment[] memory ok = new X402Settlement.Payment[](okCount);
        uint256 k;
        for (uint256 i; i < n; ++i) {
            if ((failMask >> i) & 1 == 0) ok[k++] = ps[i];
        }
        uint256 before = token.balanceOf(payee);
        (uint256 batchId, uint256 settled) = settlement.settleBatch(ps);
        assertEq(settled, okCount);
        uint256 paid;
        for (uint256 i; i < okCount; ++i) {
            paid += ok[i].value;
        }
        assertEq(token.balanceOf(payee) - before, paid);
        if (okCount == 0) {
            assertEq(batchId, 0);
            return;
        }
        uint64 at = uint64(block.timestamp);
        bytes32[] memory leaves = _leaves(ok, at);
        assertEq(settlement.batchRoot(batchId), BatchProofs.root(leaves));
        for (uint256 i; i < okCount; ++i) {
            bytes32 id = settlement.receiptIdFor(ok[i].from, ok[i].nonce);
            settlement.proveReceipt(batchId, _receipt(ok[i], at), id, BatchProofs.proof(leaves, i));
            _assertReceipt(id, ok[i], at);
        }
    }

    function testFuzz_settle(uint256 value, bytes32 nonce) public {
        value = bound(value, 1, 1_000e6);
        X402Settlement.Payment memory p = _payment(PK, value, nonce);
        bytes32 id = settlement.settle(p);
        assertEq(token.balanceOf(payee), 1e6 + value);
        _assertReceipt(id, p, uint64(block.timestamp));
    }
}
