// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";

import {AgentAccount} from "../../src/wallet/AgentAccount.sol";
import {IAgentAccount} from "../../src/wallet/interfaces/IAgentAccount.sol";
import {TokenCalls} from "../../src/wallet/lib/TokenCalls.sol";
import {WalletTestBase} from "./utils/WalletTestBase.sol";
import {WalletTestToken} from "./utils/WalletMocks.sol";

/// ERC-1271 of AgentAccount: owner signatures over the account-bound EIP-712 message, and agent-key signatures
/// that exist only for digests authorized through the policy (authorizeTokenSignature).
contract AgentAccountSignatureTest is WalletTestBase {
    bytes4 internal constant MAGIC = IERC1271.isValidSignature.selector;
    bytes4 internal constant INVALID = 0xffffffff;

    function _ownerSig(AgentAccount acct, bytes32 hash) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(ownerPk, acct.messageHash(hash));
        return abi.encodePacked(r, s, v);
    }

    // =================================================================================================== owner

    function test_isValidSignature_ownerOverMessageHash() public view {
        bytes32 h = keccak256("hello");
        assertEq(account.isValidSignature(h, _ownerSig(account, h)), MAGIC);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(ownerPk, h); // raw hash, not wrapped
        assertEq(account.isValidSignature(h, abi.encodePacked(r, s, v)), INVALID);
        (v, r, s) = vm.sign(keyPk, account.messageHash(h)); // not the owner
        assertEq(account.isValidSignature(h, abi.encodePacked(r, s, v)), INVALID);
    }

    function test_messageHash_isEip712OfAccount() public view {
        bytes32 h = keccak256("x");
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("AgentAccount"),
                keccak256("1"),
                block.chainid,
                address(account)
            )
        );
        bytes32 structHash = keccak256(abi.encode(keccak256("AgentAccountMessage(bytes32 hash)"), h));
        assertEq(account.messageHash(h), keccak256(abi.encodePacked(hex"1901", domain, structHash)));
    }

    function test_isValidSignature_ownerSigBoundToAccountAndChain() public {
        AgentAccount second = AgentAccount(payable(factory.createAccount(owner, AGENT_ID, guardian, bytes32(uint256(1)))));
        bytes32 h = keccak256("hello");
        bytes memory sig = _ownerSig(account, h);
        assertEq(second.isValidSignature(h, sig), INVALID, "another account of the same owner");
        vm.chainId(block.chainid + 1);
        assertEq(account.isValidSignature(h, sig), INVALID, "another chain");
    }

    // =================================================================================================== agent key

    function test_authorizeTokenSignature_tokenPullsWithKeySignature() public {
        bytes32 nonce = keccak256("n1");
        bytes32 expected = transferAuthDigest(usdc, address(account), payee, 10e6, nonce);
        vm.expectEmit(true, true, true, true, address(account));
        emit IAgentAccount.AgentSpend(AGENT_ID, key, address(usdc), 10e6, 10e6);
        vm.expectEmit(true, true, true, true, address(account));
        emit IAgentAccount.SignatureAuthorized(AGENT_ID, key, expected, address(usdc), payee, 10e6);
        (bytes32 digest, uint256 pendingId) = authorize(10e6, nonce);
        assertEq(digest, expected);
        assertEq(pendingId, 0);
        assertTrue(account.signatureAuthorized(key, digest));
        assertEq(account.isValidSignature(digest, abi.encodePacked(key)), MAGIC);
        assertEq(account.spentInWindow(key, address(usdc)), 10e6);
        // Anyone (the facilitator) submits the authorization with the 20-byte key "signature".
        vm.prank(stranger);
        usdc.transferWithAuthorization(address(account), payee, 10e6, 0, type(uint256).max, nonce, abi.encodePacked(key));
        assertEq(usdc.balanceOf(payee), 10e6);
    }

    function test_authorizeTokenSignature_receiveWithAuthorization() public {
        bytes32 nonce = keccak256("r1");
        vm.prank(key);
        (bytes32 digest,) =
            account.authorizeTokenSignature(key, 1, address(usdc), payee, 5e6, 0, type(uint256).max, nonce);
        assertTrue(digest != bytes32(0));
        vm.prank(payee);
        usdc.receiveWithAuthorization(address(account), payee, 5e6, 0, type(uint256).max, nonce, abi.encodePacked(key));
        assertEq(usdc.balanceOf(payee), 5e6);
    }

    function test_authorizeTokenSignature_permit() public {
        uint256 deadline = block.timestamp + 1 hours;
        vm.prank(key);
        (bytes32 digest,) = account.authorizeTokenSignature(key, 2, address(usdc), payee, 7e6, 0, deadline, bytes32(0));
        assertTrue(digest != bytes32(0));
        usdc.permit(address(account), payee, 7e6, deadline, abi.encodePacked(key));
        assertEq(usdc.allowance(address(account), payee), 7e6);
        assertEq(account.spentInWindow(key, address(usdc)), 7e6);
    }

    function test_authorizeTokenSignature_refusedOverCap() public {
        expectRefused(IAgentAccount.Refusal.PerTxCapExceeded, address(0), bytes4(0), address(usdc), 101e6);
        (bytes32 digest, uint256 pendingId) = authorize(101e6, keccak256("big"));
        assertEq(digest, bytes32(0));
        assertEq(pendingId, 0);
        bytes32 d = transferAuthDigest(usdc, address(account), payee, 101e6, keccak256("big"));
        assertEq(account.isValidSignature(d, abi.encodePacked(key)), INVALID);
    }

    function test_authorizeTokenSignature_recipientCondition() public {
        expectRefused(IAgentAccount.Refusal.ConditionFailed, address(usdc), TokenCalls.TRANSFER_WITH_AUTHORIZATION, address(0), 0);
        vm.prank(key);
        (bytes32 digest,) =
            account.authorizeTokenSignature(key, 0, address(usdc), stranger, 1e6, 0, type(uint256).max, bytes32(0));
        assertEq(digest, bytes32(0));
    }

    function test_authorizeTokenSignature_escalatesThenOwnerApproves() public {
        IAgentAccount.KeyPolicy memory p = defaultPolicy();
        p.limits[0].escalationThreshold = 50e6;
        setPolicy(p);
        bytes32 nonce = keccak256("esc");
        bytes32 d = transferAuthDigest(usdc, address(account), payee, 80e6, nonce);
        (bytes32 digest, uint256 pendingId) = authorize(80e6, nonce);
        assertEq(digest, bytes32(0));
        assertEq(pendingId, 1);
        IAgentAccount.Pending memory pend = account.pending(pendingId);
        assertEq(pend.kind, 1);
        assertEq(pend.callsHash, d);
        assertEq(account.isValidSignature(d, abi.encodePacked(key)), INVALID, "not before approval");
        vm.prank(owner);
        account.approvePending(pendingId, new IAgentAccount.Call[](0));
        assertEq(account.isValidSignature(d, abi.encodePacked(key)), MAGIC);
        assertEq(account.spentInWindow(key, address(usdc)), 80e6);
        usdc.transferWithAuthorization(address(account), payee, 80e6, 0, type(uint256).max, nonce, abi.encodePacked(key));
        assertEq(usdc.balanceOf(payee), 80e6);
    }

    function test_authorizeTokenSignature_revertsUnsupportedKind() public {
        vm.expectRevert(abi.encodeWithSelector(IAgentAccount.UnsupportedSignatureKind.selector, 3));
        vm.prank(key);
        account.authorizeTokenSignature(key, 3, address(usdc), payee, 1, 0, 1, bytes32(0));
    }

    function test_authorizeTokenSignature_revertsForStranger() public {
        vm.expectRevert(abi.encodeWithSelector(IAgentAccount.NotKeyOrEntryPoint.selector, stranger, key));
        vm.prank(stranger);
        account.authorizeTokenSignature(key, 0, address(usdc), payee, 1, 0, 1, bytes32(0));
    }

    function test_authorizeTokenSignature_revertsTokenWithoutDomain() public {
        IAgentAccount.KeyPolicy memory p = defaultPolicy();
        p.rules[5] = rule(address(recorder), TokenCalls.TRANSFER_WITH_AUTHORIZATION);
        p.limits[1].asset = address(recorder);
        setPolicy(p);
        vm.expectRevert(abi.encodeWithSelector(IAgentAccount.UnsupportedToken.selector, address(recorder)));
        vm.prank(key);
        account.authorizeTokenSignature(key, 0, address(recorder), payee, 1, 0, 1, bytes32(0));
    }

    function test_isValidSignature_keyRejectsUnauthorizedDigest() public {
        bytes32 d = transferAuthDigest(usdc, address(account), payee, 1e6, keccak256("never"));
        assertEq(account.isValidSignature(d, abi.encodePacked(key)), INVALID);
        vm.expectRevert();
        usdc.transferWithAuthorization(address(account), payee, 1e6, 0, type(uint256).max, keccak256("never"), abi.encodePacked(key));
    }

    function test_isValidSignature_keyInvalidAfterRevoke() public {
        (bytes32 digest,) = authorize(1e6, keccak256("a"));
        vm.prank(owner);
        account.revokeKey(key);
        assertEq(account.isValidSignature(digest, abi.encodePacked(key)), INVALID);
        // Setting the key again does not revive authorizations of its earlier life.
        setPolicy(defaultPolicy());
        assertEq(account.isValidSignature(digest, abi.encodePacked(key)), INVALID);
    }

    function test_isValidSignature_keyInvalidWhileFrozen() public {
        (bytes32 digest,) = authorize(1e6, keccak256("a"));
        vm.prank(guardian);
        account.freeze();
        assertEq(account.isValidSignature(digest, abi.encodePacked(key)), INVALID);
        vm.prank(owner);
        account.unfreeze();
        assertEq(account.isValidSignature(digest, abi.encodePacked(key)), MAGIC);
    }

    function test_isValidSignature_keyInvalidAfterExpiry() public {
        IAgentAccount.KeyPolicy memory p = defaultPolicy();
        p.validUntil = uint48(block.timestamp + 60);
        setPolicy(p);
        (bytes32 digest,) = authorize(1e6, keccak256("a"));
        assertEq(account.isValidSignature(digest, abi.encodePacked(key)), MAGIC);
        vm.warp(block.timestamp + 61);
        assertEq(account.isValidSignature(digest, abi.encodePacked(key)), INVALID);
    }

    function test_isValidSignature_otherKeyCannotUseDigest() public {
        address k2 = makeAddr("k2");
        vm.prank(owner);
        account.setKey(k2, defaultPolicy());
        (bytes32 digest,) = authorize(1e6, keccak256("a"));
        assertEq(account.isValidSignature(digest, abi.encodePacked(k2)), INVALID);
    }

    function test_isValidSignature_authorizationBoundToTokenAndChain() public {
        bytes32 nonce = keccak256("bound");
        authorize(1e6, nonce);
        // Same authorization on another token: a different digest, never authorized.
        vm.expectRevert();
        other.transferWithAuthorization(address(account), payee, 1e6, 0, type(uint256).max, nonce, abi.encodePacked(key));
        // Same token on another chain id: the token's domain (and digest) changes.
        uint256 chainId = block.chainid;
        vm.chainId(chainId + 1);
        vm.expectRevert();
        usdc.transferWithAuthorization(address(account), payee, 1e6, 0, type(uint256).max, nonce, abi.encodePacked(key));
        vm.chainId(chainId);
        usdc.transferWithAuthorization(address(account), payee, 1e6, 0, type(uint256).max, nonce, abi.encodePacked(key));
        assertEq(usdc.balanceOf(payee), 1e6);
    }
}
