// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";

import {IAgentAccount} from "../../src/wallet/interfaces/IAgentAccount.sol";
import {TokenCalls} from "../../src/wallet/lib/TokenCalls.sol";
import {WalletTestBase} from "./utils/WalletTestBase.sol";
import {ReentrantToken} from "./utils/WalletMocks.sol";

/// A compromised agent key makes 10,000 randomized attacks in ONE test (a loop; the attack kind and its numbers
/// come from a keccak chain): transfers above the per-action and window caps, approve-then-transferFrom, splitting
/// across a batch, sending to a non-allowlisted address, ERC-1271 abuse (unauthorized digests, reuse after freeze or
/// revocation, the authorization on another token and on another chain id), reentrancy through a malicious token
/// that is itself a key, and replay of a signed user operation on another chain id. Legitimate spends within the
/// caps are interleaved (and time moves) so that the window is under pressure. None of the attacks succeeds: the
/// victim's outflow stays within the caps in every window and the attacker gets nothing.
contract AgentAccountAttackTest is WalletTestBase {
    uint256 internal constant ATTACKS = 10_000;
    uint32 internal constant WINDOW = 1 hours;

    ReentrantToken internal evil;
    address internal attacker = makeAddr("attacker");
    PackedUserOperation internal signedOp;

    // Reference model of counted usdc spends (a queue over the rolling window).
    uint256[] internal _times;
    uint256[] internal _amounts;
    uint256 internal _head;
    uint256 internal _live;
    uint256 internal _counted;

    // A legitimately authorized digest, kept to be abused later.
    bytes32 internal _stashNonce;
    uint256 internal _stashValue;
    bool internal _stashDead;

    uint256 internal _succeeded;
    uint256[10] internal _kinds;

    function setUp() public override {
        super.setUp();
        IAgentAccount.KeyPolicy memory p = defaultPolicy();
        p.limits[0].window = WINDOW;
        p.limits[1].window = WINDOW;
        setPolicy(p);

        evil = new ReentrantToken();
        evil.setAccount(IAgentAccount(address(account)));
        evil.mint(address(account), 1_000e18);
        IAgentAccount.KeyPolicy memory e;
        e.validAfter = uint48(block.timestamp);
        e.limits = new IAgentAccount.AssetLimit[](1);
        e.limits[0] = IAgentAccount.AssetLimit(address(evil), 10, 20, WINDOW, NEVER);
        e.rules = new IAgentAccount.CallRule[](2);
        e.rules[0] = rule(address(evil), TokenCalls.TRANSFER);
        e.rules[1] = rule(address(evil), TokenCalls.TRANSFER_WITH_AUTHORIZATION);
        vm.prank(owner);
        account.setKey(address(evil), e);

        vm.deal(owner, 10 ether);
        vm.prank(owner);
        paymaster.deposit{value: 5 ether}();
        PackedUserOperation memory op;
        op.sender = address(account);
        op.nonce = entryPoint.getNonce(address(account), 0);
        op.callData = abi.encodeCall(IAgentAccount.executeAsAgent, (key, usdcTransfer(payee, 1e6)));
        op.accountGasLimits = bytes32((uint256(600_000) << 128) | uint256(600_000));
        op.preVerificationGas = 60_000;
        op.gasFees = bytes32((uint256(1 gwei) << 128) | uint256(2 gwei));
        op.paymasterAndData = abi.encodePacked(address(paymaster), uint128(200_000), uint128(100_000));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(keyPk, entryPoint.getUserOpHash(op));
        op.signature = abi.encodePacked(r, s, v);
        signedOp = op;
    }

    // ------------------------------------------------------------------------------------------ model

    function _prune() internal {
        while (_head < _times.length && _times[_head] + WINDOW <= block.timestamp) {
            _live -= _amounts[_head];
            ++_head;
        }
    }

    function _remaining() internal returns (uint256) {
        _prune();
        return _live >= TOKEN_WINDOW_CAP ? 0 : TOKEN_WINDOW_CAP - _live;
    }

    function _count(uint256 amount) internal {
        _prune();
        _times.push(block.timestamp);
        _amounts.push(amount);
        _live += amount;
        _counted += amount;
        // The window ending at this spend is the worst interval containing it.
        assertLe(_live, TOKEN_WINDOW_CAP, "window cap broken");
    }

    function _attackFailed(bool executed) internal {
        if (executed) ++_succeeded;
    }

    // ------------------------------------------------------------------------------------------ the campaign

    function test_compromisedKey_10000RandomizedAttacks() public {
        uint256 seed = uint256(keccak256("machina-agent-attacks"));
        uint256 usdcStart = usdc.balanceOf(address(account));
        uint256 evilStart = evil.balanceOf(address(account));
        for (uint256 i; i < ATTACKS; ++i) {
            seed = uint256(keccak256(abi.encode(seed, i)));
            uint256 kind = seed % 10;
            ++_kinds[kind];
            uint256 r = seed >> 8;
            if (kind == 0) _overWindow(r);
            else if (kind == 1) _overPerTx(r);
            else if (kind == 2) _approveThenPull(r);
            else if (kind == 3) _splitBatch(r);
            else if (kind == 4) _unauthorizedDigest(r);
            else if (kind == 5) _reuseAfterFreezeOrRevoke(r);
            else if (kind == 6) _otherTokenOrChain();
            else if (kind == 7) _reentrancy(r);
            else if (kind == 8) _replayUserOp(r);
            else _legitimateSpendAndTime(r);
        }
        assertEq(_succeeded, 0, "an attack succeeded");
        assertEq(usdc.balanceOf(attacker), 0);
        assertEq(usdc.allowance(address(account), attacker), 0);
        assertLe(usdcStart - usdc.balanceOf(address(account)), _counted, "outflow beyond counted spends");
        assertEq(evil.reentrySuccesses(), 0, "reentrancy succeeded");
        assertGt(evil.reentryAttempts(), 0);
        assertLe(evilStart - evil.balanceOf(address(account)), 20 * (block.timestamp / WINDOW + 2));
        for (uint256 k; k < 10; ++k) {
            assertGt(_kinds[k], 500, "every attack kind ran");
        }
    }

    // ------------------------------------------------------------------------------------------ attacks

    function _overWindow(uint256 r) internal {
        uint256 amount = _remaining() + 1 + r % 100e6;
        if (amount > TOKEN_PER_TX) {
            // above the window but within per-tx is the interesting case; make the window nearly full first
            _legitimateSpendAndTime(r >> 40);
            amount = _remaining() + 1;
        }
        (bool executed,) = asAgent(usdcTransfer(payee, amount));
        if (amount <= TOKEN_PER_TX && amount > _remaining()) _attackFailed(executed);
        else if (executed) _count(amount);
    }

    function _overPerTx(uint256 r) internal {
        uint256 amount = TOKEN_PER_TX + 1 + r % 1_000_000e6;
        (bool executed,) = asAgent(usdcTransfer(r % 2 == 0 ? payee : attacker, amount));
        _attackFailed(executed);
        // to a non-allowlisted address, even tiny
        (executed,) = asAgent(usdcTransfer(attacker, 1 + r % 10));
        _attackFailed(executed);
    }

    function _approveThenPull(uint256 r) internal {
        uint256 amount = _remaining() + 1 + r % 50e6;
        (bool executed,) = asAgent(one(address(usdc), 0, abi.encodeWithSelector(TokenCalls.APPROVE, payee, amount)));
        _attackFailed(executed);
        (executed,) = asAgent(one(address(usdc), 0, abi.encodeWithSelector(TokenCalls.APPROVE, attacker, 1)));
        _attackFailed(executed);
        // The attacker tries to pull with no allowance.
        vm.prank(attacker);
        try usdc.transferFrom(address(account), attacker, 1 + r % 100e6) {
            ++_succeeded;
        } catch {}
    }

    function _splitBatch(uint256 r) internal {
        uint256 n = 2 + r % 4;
        uint256 cap = _remaining() < TOKEN_PER_TX ? _remaining() : TOKEN_PER_TX;
        uint256 each = cap / n + 1; // n pieces that together exceed what one action may move
        IAgentAccount.Call[] memory calls = new IAgentAccount.Call[](n);
        for (uint256 j; j < n; ++j) {
            calls[j] = transferCall(address(usdc), payee, each);
        }
        (bool executed,) = asAgent(calls);
        _attackFailed(executed);
    }

    function _unauthorizedDigest(uint256 r) internal {
        bytes32 digest = keccak256(abi.encode("forged", r));
        if (account.isValidSignature(digest, abi.encodePacked(key)) == IERC1271.isValidSignature.selector) ++_succeeded;
        bytes32 nonce = bytes32(r);
        try usdc.transferWithAuthorization(
            address(account), attacker, 1 + r % 100e6, 0, type(uint256).max, nonce, abi.encodePacked(key)
        ) {
            ++_succeeded;
        } catch {}
        // The key address of another key, or the account's own, is no signature either.
        try usdc.transferWithAuthorization(
            address(account), payee, 1, 0, type(uint256).max, nonce, abi.encodePacked(address(evil))
        ) {
            ++_succeeded;
        } catch {}
    }

    function _reuseAfterFreezeOrRevoke(uint256 r) internal {
        if (_stashNonce == bytes32(0) || _stashDead) {
            // Get a fresh, legitimate authorization (within caps) to abuse.
            uint256 value = 1 + r % 5e6;
            if (value > _remaining()) return;
            bytes32 nonce = keccak256(abi.encode("stash", r));
            (bytes32 digest,) = authorize(value, nonce);
            if (digest == bytes32(0)) return;
            _count(value);
            _stashNonce = nonce;
            _stashValue = value;
            _stashDead = false;
        }
        bytes32 n = _stashNonce;
        // Revocation (and re-setting the key, which costs a full setKey) one time in eight, freezing otherwise.
        if (r % 8 != 0) {
            vm.prank(guardian);
            account.freeze();
            try usdc.transferWithAuthorization(address(account), payee, _stashValue, 0, type(uint256).max, n, abi.encodePacked(key)) {
                ++_succeeded;
            } catch {}
            (bool executed,) = asAgent(usdcTransfer(payee, 1));
            _attackFailed(executed);
            vm.prank(owner);
            account.unfreeze();
        } else {
            vm.prank(owner);
            account.revokeKey(key);
            try usdc.transferWithAuthorization(address(account), payee, _stashValue, 0, type(uint256).max, n, abi.encodePacked(key)) {
                ++_succeeded;
            } catch {}
            (bool executed,) = asAgent(usdcTransfer(payee, 1));
            _attackFailed(executed);
            IAgentAccount.KeyPolicy memory p = defaultPolicy();
            p.limits[0].window = WINDOW;
            p.limits[1].window = WINDOW;
            setPolicy(p); // the owner reinstates the key: the old authorization stays dead
            try usdc.transferWithAuthorization(address(account), payee, _stashValue, 0, type(uint256).max, n, abi.encodePacked(key)) {
                ++_succeeded;
            } catch {}
            _stashDead = true;
        }
    }

    function _otherTokenOrChain() internal {
        if (_stashNonce == bytes32(0) || _stashDead) return;
        bytes32 n = _stashNonce;
        try other.transferWithAuthorization(address(account), payee, _stashValue, 0, type(uint256).max, n, abi.encodePacked(key)) {
            ++_succeeded;
        } catch {}
        uint256 chainId = block.chainid;
        vm.chainId(chainId + 1 + (uint256(n) % 1000));
        try usdc.transferWithAuthorization(address(account), payee, _stashValue, 0, type(uint256).max, n, abi.encodePacked(key)) {
            ++_succeeded;
        } catch {}
        vm.chainId(chainId);
    }

    function _reentrancy(uint256 r) internal {
        uint256 before = evil.reentrySuccesses();
        evil.attack(1 + r % 10);
        if (evil.reentrySuccesses() != before) ++_succeeded;
    }

    function _replayUserOp(uint256 r) internal {
        uint256 chainId = block.chainid;
        vm.chainId(chainId + 1 + r % 1000);
        PackedUserOperation[] memory ops = new PackedUserOperation[](1);
        ops[0] = signedOp;
        try entryPoint.handleOps(ops, payable(attacker)) {
            ++_succeeded;
        } catch {}
        vm.chainId(chainId);
    }

    function _legitimateSpendAndTime(uint256 r) internal {
        vm.warp(block.timestamp + r % 10 minutes);
        uint256 room = _remaining();
        if (room == 0) return;
        uint256 amount = 1 + (r >> 20) % (room < TOKEN_PER_TX ? room : TOKEN_PER_TX);
        (bool executed,) = asAgent(usdcTransfer(payee, amount));
        if (executed) _count(amount);
    }
}
