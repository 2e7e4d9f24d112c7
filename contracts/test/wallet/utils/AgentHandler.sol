// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Invariant handler: drives an agent key through random actions (transfers, approvals, native payments, batches,
// token-signature authorizations, forbidden calls) while the owner/guardian randomly freeze, revoke and re-set it,
// and time jumps at random. Keeps a reference model of every executed spend with its timestamp.

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {AgentAccount} from "../../../src/wallet/AgentAccount.sol";
import {IAgentAccount} from "../../../src/wallet/interfaces/IAgentAccount.sol";
import {TokenCalls} from "../../../src/wallet/lib/TokenCalls.sol";
import {WalletTestToken, CallRecorder} from "./WalletMocks.sol";

contract AgentHandler is CommonBase, StdCheats, StdUtils {
    struct Spend {
        uint256 time;
        address asset;
        uint256 amount;
    }

    AgentAccount public immutable account;
    WalletTestToken public immutable usdc;
    WalletTestToken public immutable other;
    CallRecorder public immutable recorder;
    address public immutable key;
    address public immutable owner;
    address public immutable guardian;
    address public immutable payee;
    address public immutable attacker;
    IAgentAccount.KeyPolicy internal _policy;

    Spend[] internal _spends;
    uint256[] internal _actionTimes;
    uint256 public expiry;
    bool public revoked;

    // Ghosts read by the invariants.
    uint256 public actedWhileBlocked;
    uint256 public forbiddenExecuted;
    uint256 public modelUsdcOut;
    uint256 public modelNativeOut;
    uint256 public executedCount;
    uint256 public refusedCount;
    mapping(bytes4 => uint256) public calls;

    constructor(
        AgentAccount account_,
        WalletTestToken usdc_,
        WalletTestToken other_,
        CallRecorder recorder_,
        address key_,
        address owner_,
        address guardian_,
        address payee_,
        IAgentAccount.KeyPolicy memory policy_
    ) {
        account = account_;
        usdc = usdc_;
        other = other_;
        recorder = recorder_;
        key = key_;
        owner = owner_;
        guardian = guardian_;
        payee = payee_;
        attacker = makeAddr("attacker");
        expiry = policy_.validUntil;
        _copyPolicy(policy_);
    }

    function _copyPolicy(IAgentAccount.KeyPolicy memory p) private {
        _policy.validAfter = p.validAfter;
        _policy.validUntil = p.validUntil;
        _policy.rateLimit = p.rateLimit;
        _policy.rateWindow = p.rateWindow;
        _policy.pendingTtl = p.pendingTtl;
        for (uint256 i; i < p.limits.length; ++i) {
            _policy.limits.push(p.limits[i]);
        }
        for (uint256 i; i < p.rules.length; ++i) {
            _policy.rules.push();
            IAgentAccount.CallRule storage r = _policy.rules[i];
            r.target = p.rules[i].target;
            r.selector = p.rules[i].selector;
            for (uint256 j; j < p.rules[i].conditions.length; ++j) {
                r.conditions.push(p.rules[i].conditions[j]);
            }
        }
        for (uint256 i; i < p.recipients.length; ++i) {
            _policy.recipients.push(p.recipients[i]);
        }
    }

    // ------------------------------------------------------------------------------------------ model

    function spendCount() external view returns (uint256) {
        return _spends.length;
    }

    function spendAt(uint256 i) external view returns (Spend memory) {
        return _spends[i];
    }

    function actionCount() external view returns (uint256) {
        return _actionTimes.length;
    }

    function actionAt(uint256 i) external view returns (uint256) {
        return _actionTimes[i];
    }

    function _blocked() internal view returns (bool) {
        return account.frozen() || revoked || (expiry != 0 && block.timestamp > expiry);
    }

    /// @dev Runs `calls` as the key; books the outcome in the model.
    function _act(IAgentAccount.Call[] memory cs, uint256 usdcAmount, uint256 nativeAmount, bool outsidePolicy) internal {
        bool blocked = _blocked();
        vm.prank(key);
        (bool executed,) = account.executeAsAgent(key, cs);
        _book(executed, blocked, usdcAmount, nativeAmount, outsidePolicy);
    }

    function _book(bool executed, bool blocked, uint256 usdcAmount, uint256 nativeAmount, bool outsidePolicy) internal {
        if (!executed) {
            ++refusedCount;
            return;
        }
        ++executedCount;
        _actionTimes.push(block.timestamp);
        if (blocked) ++actedWhileBlocked;
        if (outsidePolicy) ++forbiddenExecuted;
        if (usdcAmount != 0) {
            _spends.push(Spend(block.timestamp, address(usdc), usdcAmount));
            modelUsdcOut += usdcAmount;
        }
        if (nativeAmount != 0) {
            _spends.push(Spend(block.timestamp, address(0), nativeAmount));
            modelNativeOut += nativeAmount;
        }
    }

    // ------------------------------------------------------------------------------------------ agent actions

    function transfer(uint256 amount) external {
        ++calls[this.transfer.selector];
        amount = bound(amount, 0, 400e6);
        IAgentAccount.Call[] memory cs = new IAgentAccount.Call[](1);
        cs[0] = IAgentAccount.Call(address(usdc), 0, abi.encodeWithSelector(TokenCalls.TRANSFER, payee, amount));
        _act(cs, amount, 0, false);
    }

    /// @dev Aims at the cap's edge: the room left in the window (per the account) plus a small overshoot.
    function edgeTransfer(uint256 overshoot) external {
        ++calls[this.edgeTransfer.selector];
        uint256 spent = account.spentInWindow(key, address(usdc));
        uint256 room = spent >= 300e6 ? 0 : 300e6 - spent;
        uint256 amount = (room > 100e6 ? 100e6 : room) + bound(overshoot, 0, 12e6);
        IAgentAccount.Call[] memory cs = new IAgentAccount.Call[](1);
        cs[0] = IAgentAccount.Call(address(usdc), 0, abi.encodeWithSelector(TokenCalls.TRANSFER, payee, amount));
        _act(cs, amount, 0, false);
    }

    /// @dev Approve the payee, who then pulls whatever it can: the approval is what counts.
    function approveThenPull(uint256 amount, uint256 pull) external {
        ++calls[this.approveThenPull.selector];
        amount = bound(amount, 0, 400e6);
        IAgentAccount.Call[] memory cs = new IAgentAccount.Call[](1);
        cs[0] = IAgentAccount.Call(address(usdc), 0, abi.encodeWithSelector(TokenCalls.APPROVE, payee, amount));
        _act(cs, amount, 0, false);
        uint256 allowance = usdc.allowance(address(account), payee);
        pull = bound(pull, 0, allowance);
        if (pull != 0) {
            vm.prank(payee);
            usdc.transferFrom(address(account), payee, pull);
        }
    }

    function batch(uint256 n, uint256 seed) external {
        ++calls[this.batch.selector];
        n = bound(n, 1, 5);
        IAgentAccount.Call[] memory cs = new IAgentAccount.Call[](n);
        uint256 usdcTotal;
        uint256 nativeTotal;
        for (uint256 i; i < n; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            uint256 amount = (r >> 8) % 60e6;
            if (r % 3 == 0) {
                uint256 v = (r >> 8) % 0.6 ether;
                cs[i] = IAgentAccount.Call(payee, v, "");
                nativeTotal += v;
            } else {
                cs[i] = IAgentAccount.Call(address(usdc), 0, abi.encodeWithSelector(TokenCalls.TRANSFER, payee, amount));
                usdcTotal += amount;
            }
        }
        _act(cs, usdcTotal, nativeTotal, false);
    }

    function native(uint256 amount) external {
        ++calls[this.native.selector];
        amount = bound(amount, 0, 2 ether);
        IAgentAccount.Call[] memory cs = new IAgentAccount.Call[](1);
        cs[0] = IAgentAccount.Call(payee, amount, "");
        _act(cs, 0, amount, false);
    }

    /// @dev Authorize an EIP-3009 transfer through ERC-1271, then the payee redeems it with the key's 20 bytes.
    function signAndRedeem(uint256 amount, bytes32 nonce) external {
        ++calls[this.signAndRedeem.selector];
        amount = bound(amount, 1, 400e6);
        bool blocked = _blocked();
        vm.prank(key);
        (bytes32 digest,) =
            account.authorizeTokenSignature(key, 0, address(usdc), payee, amount, 0, type(uint256).max, nonce);
        _book(digest != bytes32(0), blocked, amount, 0, false);
        if (digest != bytes32(0) && !usdc.authorizationState(address(account), nonce)) {
            usdc.transferWithAuthorization(
                address(account), payee, amount, 0, type(uint256).max, nonce, abi.encodePacked(key)
            );
        }
    }

    /// @dev Every call here is outside the policy: none may ever execute.
    function forbidden(uint256 which, uint256 amount) external {
        ++calls[this.forbidden.selector];
        amount = bound(amount, 0, 50e6);
        IAgentAccount.Call[] memory cs = new IAgentAccount.Call[](1);
        which = which % 6;
        if (which == 0) {
            cs[0] = IAgentAccount.Call(address(other), 0, abi.encodeWithSelector(TokenCalls.TRANSFER, payee, amount));
        } else if (which == 1) {
            cs[0] = IAgentAccount.Call(address(usdc), 0, abi.encodeWithSelector(TokenCalls.TRANSFER, attacker, amount));
        } else if (which == 2) {
            cs[0] = IAgentAccount.Call(address(account), 0, abi.encodeCall(IAgentAccount.setGuardian, (attacker)));
        } else if (which == 3) {
            cs[0] = IAgentAccount.Call(address(recorder), 0, abi.encodeCall(CallRecorder.setPair, (attacker, amount)));
        } else if (which == 4) {
            cs[0] = IAgentAccount.Call(
                address(usdc), 0, abi.encodeWithSelector(TokenCalls.INCREASE_ALLOWANCE, attacker, amount)
            );
        } else {
            cs[0] = IAgentAccount.Call(attacker, amount, "");
        }
        _act(cs, 0, 0, true);
    }

    // ------------------------------------------------------------------------------------------ owner / time

    function warp(uint256 secondsAhead) external {
        ++calls[this.warp.selector];
        vm.warp(block.timestamp + bound(secondsAhead, 0, 90 minutes));
    }

    function freeze(bool byGuardian) external {
        ++calls[this.freeze.selector];
        vm.prank(byGuardian ? guardian : owner);
        account.freeze();
    }

    function unfreeze() external {
        ++calls[this.unfreeze.selector];
        vm.prank(owner);
        account.unfreeze();
    }

    function revoke() external {
        ++calls[this.revoke.selector];
        if (revoked) return;
        vm.prank(owner);
        account.revokeKey(key);
        revoked = true;
    }

    /// @dev The owner sets the same policy again (a fresh policy id: rate counters reset, spend logs persist).
    function reinstate() external {
        ++calls[this.reinstate.selector];
        vm.prank(owner);
        account.setKey(key, _policy);
        revoked = false;
        // Rate-limit history starts over with the new policy.
        delete _actionTimes;
    }
}
