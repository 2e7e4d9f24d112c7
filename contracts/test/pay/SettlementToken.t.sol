// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {StdInvariant} from "forge-std/StdInvariant.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

import {SettlementToken} from "../../src/pay/SettlementToken.sol";
import {PayTestBase, MockSigningWallet} from "./utils/PayTestBase.sol";

contract SettlementTokenTest is PayTestBase {
    event AuthorizationUsed(address indexed authorizer, bytes32 indexed nonce);
    event AuthorizationCanceled(address indexed authorizer, bytes32 indexed nonce);
    event FaucetDrip(address indexed to, uint256 amount);
    event Transfer(address indexed from, address indexed to, uint256 value);

    uint256 internal alicePk = 0xA11CE;
    address internal alice;
    uint256 internal walletKeyPk = 0xB0B;
    MockSigningWallet internal wallet;
    address internal bob = makeAddr("bob");

    function setUp() public {
        _deployPay();
        alice = vm.addr(alicePk);
        wallet = new MockSigningWallet(vm.addr(walletKeyPk));
        _fund(alice, 1_000e6);
        _fund(address(wallet), 1_000e6);
    }

    // ---- helpers ----------------------------------------------------------------------------------------------------

    function _split(bytes memory sig) internal pure returns (uint8 v, bytes32 r, bytes32 s) {
        assembly {
            r := mload(add(sig, 0x20))
            s := mload(add(sig, 0x40))
            v := byte(0, mload(add(sig, 0x60)))
        }
    }

    function _transferSig(uint256 pk, address from, address to, uint256 value, uint256 va, uint256 vb, bytes32 nonce)
        internal
        view
        returns (bytes memory)
    {
        return _sign(pk, _authDigest(token.TRANSFER_WITH_AUTHORIZATION_TYPEHASH(), from, to, value, va, vb, nonce));
    }

    function _receiveSig(uint256 pk, address from, address to, uint256 value, bytes32 nonce)
        internal
        view
        returns (bytes memory)
    {
        return _sign(
            pk,
            _authDigest(token.RECEIVE_WITH_AUTHORIZATION_TYPEHASH(), from, to, value, 0, block.timestamp + 60, nonce)
        );
    }

    function _cancelSig(uint256 pk, address authorizer, bytes32 nonce) internal view returns (bytes memory) {
        bytes32 digest = keccak256(
            abi.encodePacked(
                "\x19\x01",
                token.DOMAIN_SEPARATOR(),
                keccak256(abi.encode(token.CANCEL_AUTHORIZATION_TYPEHASH(), authorizer, nonce))
            )
        );
        return _sign(pk, digest);
    }

    function _permitSig(uint256 pk, address owner, address spender, uint256 value, uint256 deadline)
        internal
        view
        returns (bytes memory)
    {
        bytes32 digest = keccak256(
            abi.encodePacked(
                "\x19\x01",
                token.DOMAIN_SEPARATOR(),
                keccak256(abi.encode(token.PERMIT_TYPEHASH(), owner, spender, value, token.nonces(owner), deadline))
            )
        );
        return _sign(pk, digest);
    }

    // ---- metadata ---------------------------------------------------------------------------------------------------

    function test_constructor_metadata() public view {
        assertEq(token.name(), "Machina USD");
        assertEq(token.symbol(), "mUSD");
        assertEq(token.decimals(), 6);
        assertEq(token.version(), "2");
        assertEq(token.owner(), tokenOwner);
        assertTrue(token.faucetEnabled());
        bytes32 expected = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("Machina USD"),
                keccak256("2"),
                block.chainid,
                address(token)
            )
        );
        assertEq(token.DOMAIN_SEPARATOR(), expected);
        (, string memory name, string memory version,,,,) = token.eip712Domain();
        assertEq(name, "Machina USD");
        assertEq(version, "2");
    }

    // ---- supply -----------------------------------------------------------------------------------------------------

    function test_mint_byOwner() public {
        vm.expectEmit(address(token));
        emit Transfer(address(0), bob, 5e6);
        vm.prank(tokenOwner);
        token.mint(bob, 5e6);
        assertEq(token.balanceOf(bob), 5e6);
    }

    function test_mint_revertsForNonOwner() public {
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, bob));
        token.mint(bob, 1);
    }

    function test_faucet_mintsUpToCap() public {
        uint256 cap = token.FAUCET_CAP();
        assertEq(cap, 1e12);
        vm.expectEmit(address(token));
        emit FaucetDrip(bob, cap);
        vm.prank(bob);
        token.faucet(bob, cap);
        assertEq(token.balanceOf(bob), cap);
    }

    function test_faucet_revertsAboveCap() public {
        vm.expectRevert(abi.encodeWithSelector(SettlementToken.FaucetCapExceeded.selector, 1e12 + 1, 1e12));
        token.faucet(bob, 1e12 + 1);
    }

    function test_faucet_revertsWhenDisabled() public {
        SettlementToken prod = new SettlementToken(tokenOwner, false);
        assertFalse(prod.faucetEnabled());
        vm.expectRevert(SettlementToken.FaucetDisabled.selector);
        prod.faucet(bob, 1);
    }

    function test_faucet_revertsToZeroAddress() public {
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InvalidReceiver.selector, address(0)));
        token.faucet(address(0), 1);
    }

    // ---- permit -----------------------------------------------------------------------------------------------------

    function test_permit_eoaVrs() public {
        bytes memory sig = _permitSig(alicePk, alice, bob, 7e6, block.timestamp + 1);
        (uint8 v, bytes32 r, bytes32 s) = _split(sig);
        token.permit(alice, bob, 7e6, block.timestamp + 1, v, r, s);
        assertEq(token.allowance(alice, bob), 7e6);
        assertEq(token.nonces(alice), 1);
    }

    function test_permit_eoaBytes() public {
        bytes memory sig = _permitSig(alicePk, alice, bob, 7e6, block.timestamp);
        token.permit(alice, bob, 7e6, block.timestamp, sig);
        assertEq(token.allowance(alice, bob), 7e6);
    }

    function test_permit_erc1271Vrs() public {
        bytes memory sig = _permitSig(walletKeyPk, address(wallet), bob, 3e6, block.timestamp + 1);
        (uint8 v, bytes32 r, bytes32 s) = _split(sig);
        token.permit(address(wallet), bob, 3e6, block.timestamp + 1, v, r, s);
        assertEq(token.allowance(address(wallet), bob), 3e6);
    }

    function test_permit_erc1271Bytes() public {
        bytes memory sig = _permitSig(walletKeyPk, address(wallet), bob, 3e6, block.timestamp + 1);
        token.permit(address(wallet), bob, 3e6, block.timestamp + 1, sig);
        assertEq(token.allowance(address(wallet), bob), 3e6);
    }

    function test_permit_revertsExpired() public {
        bytes memory sig = _permitSig(alicePk, alice, bob, 1, block.timestamp - 1);
        vm.expectRevert(abi.encodeWithSelector(SettlementToken.PermitExpired.selector, block.timestamp - 1));
        token.permit(alice, bob, 1, block.timestamp - 1, sig);
    }

    function test_permit_revertsWrongSigner() public {
        bytes memory sig = _permitSig(walletKeyPk, alice, bob, 1, block.timestamp);
        vm.expectRevert(SettlementToken.InvalidSignature.selector);
        token.permit(alice, bob, 1, block.timestamp, sig);
        (uint8 v, bytes32 r, bytes32 s) = _split(sig);
        vm.expectRevert(SettlementToken.InvalidSignature.selector);
        token.permit(alice, bob, 1, block.timestamp, v, r, s);
    }

    function test_permit_revertsReplay() public {
        bytes memory sig = _permitSig(alicePk, alice, bob, 1, block.timestamp);
        token.permit(alice, bob, 1, block.timestamp, sig);
        vm.expectRevert(SettlementToken.InvalidSignature.selector);
        token.permit(alice, bob, 1, block.timestamp, sig);
    }

    function test_permit_revertsWhenWalletRefuses() public {
        bytes memory sig = _permitSig(walletKeyPk, address(wallet), bob, 1, block.timestamp);
        wallet.setRefuse(true);
        vm.expectRevert(SettlementToken.InvalidSignature.selector);
        token.permit(address(wallet), bob, 1, block.timestamp, sig);
    }

    // ---- transferWithAuthorization ----------------------------------------------------------------------------------

    function test_transferWithAuthorization_eoaVrs() public {
        bytes memory sig = _transferSig(alicePk, alice, bob, 2e6, 0, block.timestamp + 60, "n1");
        (uint8 v, bytes32 r, bytes32 s) = _split(sig);
        vm.expectEmit(address(token));
        emit AuthorizationUsed(alice, "n1");
        vm.expectEmit(address(token));
        emit Transfer(alice, bob, 2e6);
        vm.prank(relayer);
        token.transferWithAuthorization(alice, bob, 2e6, 0, block.timestamp + 60, "n1", v, r, s);
        assertEq(token.balanceOf(bob), 2e6);
        assertTrue(token.authorizationState(alice, "n1"));
    }

    function test_transferWithAuthorization_eoaBytes() public {
        bytes memory sig = _transferSig(alicePk, alice, bob, 2e6, 0, block.timestamp + 60, "n1");
        vm.prank(relayer);
        token.transferWithAuthorization(alice, bob, 2e6, 0, block.timestamp + 60, "n1", sig);
        assertEq(token.balanceOf(bob), 2e6);
    }

    function test_transferWithAuthorization_erc1271Vrs() public {
        bytes memory sig = _transferSig(walletKeyPk, address(wallet), bob, 2e6, 0, block.timestamp + 60, "n1");
        (uint8 v, bytes32 r, bytes32 s) = _split(sig);
        token.transferWithAuthorization(address(wallet), bob, 2e6, 0, block.timestamp + 60, "n1", v, r, s);
        assertEq(token.balanceOf(bob), 2e6);
        assertTrue(token.authorizationState(address(wallet), "n1"));
    }

    function test_transferWithAuthorization_erc1271Bytes() public {
        bytes memory sig = _transferSig(walletKeyPk, address(wallet), bob, 2e6, 0, block.timestamp + 60, "n1");
        token.transferWithAuthorization(address(wallet), bob, 2e6, 0, block.timestamp + 60, "n1", sig);
        assertEq(token.balanceOf(bob), 2e6);
    }

    function test_transferWithAuthorization_revertsWhenWalletRefuses() public {
        bytes memory sig = _transferSig(walletKeyPk, address(wallet), bob, 2e6, 0, block.timestamp + 60, "n1");
        wallet.setRefuse(true);
        vm.expectRevert(SettlementToken.InvalidSignature.selector);
        token.transferWithAuthorization(address(wallet), bob, 2e6, 0, block.timestamp + 60, "n1", sig);
    }

    function test_transferWithAuthorization_revertsNotYetValid() public {
        uint256 va = block.timestamp; // valid strictly after
        bytes memory sig = _transferSig(alicePk, alice, bob, 1, va, va + 60, "n1");
        vm.expectRevert(abi.encodeWithSelector(SettlementToken.AuthorizationNotYetValid.selector, va));
        token.transferWithAuthorization(alice, bob, 1, va, va + 60, "n1", sig);
    }

    function test_transferWithAuthorization_revertsExpired() public {
        uint256 vb = block.timestamp; // valid strictly before
        bytes memory sig = _transferSig(alicePk, alice, bob, 1, 0, vb, "n1");
        vm.expectRevert(abi.encodeWithSelector(SettlementToken.AuthorizationExpired.selector, vb));
        token.transferWithAuthorization(alice, bob, 1, 0, vb, "n1", sig);
    }

    function test_transferWithAuthorization_revertsReplay() public {
        bytes memory sig = _transferSig(alicePk, alice, bob, 1, 0, block.timestamp + 60, "n1");
        token.transferWithAuthorization(alice, bob, 1, 0, block.timestamp + 60, "n1", sig);
        vm.expectRevert(
            abi.encodeWithSelector(SettlementToken.AuthorizationUsedOrCanceled.selector, alice, bytes32("n1"))
        );
        token.transferWithAuthorization(alice, bob, 1, 0, block.timestamp + 60, "n1", sig);
    }

    function test_transferWithAuthorization_revertsTamperedAmount() public {
        bytes memory sig = _transferSig(alicePk, alice, bob, 1, 0, block.timestamp + 60, "n1");
        vm.expectRevert(SettlementToken.InvalidSignature.selector);
        token.transferWithAuthorization(alice, bob, 2, 0, block.timestamp + 60, "n1", sig);
        (uint8 v, bytes32 r, bytes32 s) = _split(sig);
        vm.expectRevert(SettlementToken.InvalidSignature.selector);
        token.transferWithAuthorization(alice, relayer, 1, 0, block.timestamp + 60, "n1", v, r, s);
    }

    function test_transferWithAuthorization_revertsHighS() public {
        bytes memory sig = _transferSig(alicePk, alice, bob, 1, 0, block.timestamp + 60, "n1");
        (uint8 v, bytes32 r, bytes32 s) = _split(sig);
        bytes32 highS = bytes32(0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141 - uint256(s));
        uint8 flippedV = v == 27 ? 28 : 27;
        vm.expectRevert(SettlementToken.InvalidSignature.selector);
        token.transferWithAuthorization(alice, bob, 1, 0, block.timestamp + 60, "n1", flippedV, r, highS);
    }

    function test_transferWithAuthorization_revertsInsufficientBalance() public {
        bytes memory sig = _transferSig(alicePk, alice, bob, 2_000e6, 0, block.timestamp + 60, "n1");
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, alice, 1_000e6, 2_000e6));
        token.transferWithAuthorization(alice, bob, 2_000e6, 0, block.timestamp + 60, "n1", sig);
        assertFalse(token.authorizationState(alice, "n1"), "nonce not burnt by a failed transfer");
    }

    function test_transferWithAuthorization_rejectsReceiveSignature() public {
        bytes memory sig = _receiveSig(alicePk, alice, bob, 1, "n1");
        vm.expectRevert(SettlementToken.InvalidSignature.selector);
        token.transferWithAuthorization(alice, bob, 1, 0, block.timestamp + 60, "n1", sig);
    }

    // ---- receiveWithAuthorization -----------------------------------------------------------------------------------

    function test_receiveWithAuthorization_vrs() public {
        bytes memory sig = _receiveSig(alicePk, alice, bob, 4e6, "r1");
        (uint8 v, bytes32 r, bytes32 s) = _split(sig);
        vm.prank(bob);
        token.receiveWithAuthorization(alice, bob, 4e6, 0, block.timestamp + 60, "r1", v, r, s);
        assertEq(token.balanceOf(bob), 4e6);
        assertTrue(token.authorizationState(alice, "r1"));
    }

    function test_receiveWithAuthorization_bytesErc1271() public {
        bytes memory sig = _receiveSig(walletKeyPk, address(wallet), bob, 4e6, "r1");
        vm.prank(bob);
        token.receiveWithAuthorization(address(wallet), bob, 4e6, 0, block.timestamp + 60, "r1", sig);
        assertEq(token.balanceOf(bob), 4e6);
    }

    function test_receiveWithAuthorization_revertsForOtherCaller() public {
        bytes memory sig = _receiveSig(alicePk, alice, bob, 4e6, "r1");
        vm.prank(relayer);
        vm.expectRevert(abi.encodeWithSelector(SettlementToken.CallerNotPayee.selector, relayer, bob));
        token.receiveWithAuthorization(alice, bob, 4e6, 0, block.timestamp + 60, "r1", sig);
        (uint8 v, bytes32 r, bytes32 s) = _split(sig);
        vm.prank(relayer);
        vm.expectRevert(abi.encodeWithSelector(SettlementToken.CallerNotPayee.selector, relayer, bob));
        token.receiveWithAuthorization(alice, bob, 4e6, 0, block.timestamp + 60, "r1", v, r, s);
    }

    function test_receiveWithAuthorization_rejectsTransferSignature() public {
        bytes memory sig = _transferSig(alicePk, alice, bob, 1, 0, block.timestamp + 60, "r1");
        vm.prank(bob);
        vm.expectRevert(SettlementToken.InvalidSignature.selector);
        token.receiveWithAuthorization(alice, bob, 1, 0, block.timestamp + 60, "r1", sig);
    }

    // ---- cancelAuthorization ----------------------------------------------------------------------------------------

    function test_cancelAuthorization_vrsBlocksTransfer() public {
        bytes memory cancel = _cancelSig(alicePk, alice, "c1");
        (uint8 v, bytes32 r, bytes32 s) = _split(cancel);
        vm.expectEmit(address(token));
        emit AuthorizationCanceled(alice, "c1");
        token.cancelAuthorization(alice, "c1", v, r, s);
        assertTrue(token.authorizationState(alice, "c1"));
        bytes memory sig = _transferSig(alicePk, alice, bob, 1, 0, block.timestamp + 60, "c1");
        vm.expectRevert(
            abi.encodeWithSelector(SettlementToken.AuthorizationUsedOrCanceled.selector, alice, bytes32("c1"))
        );
        token.transferWithAuthorization(alice, bob, 1, 0, block.timestamp + 60, "c1", sig);
    }

    function test_cancelAuthorization_bytesErc1271() public {
        token.cancelAuthorization(address(wallet), "c1", _cancelSig(walletKeyPk, address(wallet), "c1"));
        assertTrue(token.authorizationState(address(wallet), "c1"));
    }

    function test_cancelAuthorization_revertsWhenUsed() public {
        bytes memory cancel = _cancelSig(alicePk, alice, "c1");
        token.cancelAuthorization(alice, "c1", cancel);
        vm.expectRevert(
            abi.encodeWithSelector(SettlementToken.AuthorizationUsedOrCanceled.selector, alice, bytes32("c1"))
        );
        token.cancelAuthorization(alice, "c1", cancel);
    }

    function test_cancelAuthorization_revertsBadSignature() public {
        bytes memory cancel = _cancelSig(walletKeyPk, alice, "c1");
        vm.expectRevert(SettlementToken.InvalidSignature.selector);
        token.cancelAuthorization(alice, "c1", cancel);
        (uint8 v, bytes32 r, bytes32 s) = _split(cancel);
        vm.expectRevert(SettlementToken.InvalidSignature.selector);
        token.cancelAuthorization(alice, "c1", v, r, s);
    }

    function test_authorizationState_neighbouringNoncesIndependent() public {
        bytes32 n = bytes32(uint256(0x1234) << 8 | 7);
        token.cancelAuthorization(alice, n, _cancelSig(alicePk, alice, n));
        assertTrue(token.authorizationState(alice, n));
        assertFalse(token.authorizationState(alice, bytes32(uint256(n) + 1)));
        assertFalse(token.authorizationState(alice, bytes32(uint256(n) - 1)));
        assertFalse(token.authorizationState(address(wallet), n));
    }

    // ---- fuzz -------------------------------------------------------------------------------------------------------

    function testFuzz_transferWithAuthorization(uint256 pk, address to, uint256 value, bytes32 nonce) public {
        pk = bound(pk, 1, 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364140);
        address from = vm.addr(pk);
        vm.assume(to != address(0) && to != from && from.code.length == 0);
        value = bound(value, 0, 1e18);
        _fund(from, value);
        uint256 before = token.balanceOf(to);
        bytes memory sig = _transferSig(pk, from, to, value, 0, block.timestamp + 1, nonce);
        token.transferWithAuthorization(from, to, value, 0, block.timestamp + 1, nonce, sig);
        assertEq(token.balanceOf(to) - before, value);
        assertTrue(token.authorizationState(from, nonce));
        vm.expectRevert(abi.encodeWithSelector(SettlementToken.AuthorizationUsedOrCanceled.selector, from, nonce));
        token.transferWithAuthorization(from, to, value, 0, block.timestamp + 1, nonce, sig);
    }

    function testFuzz_authorizationState_onlyTheUsedNonce(bytes32 a, bytes32 b) public {
        vm.assume(a != b);
        token.cancelAuthorization(alice, a, _cancelSig(alicePk, alice, a));
        assertTrue(token.authorizationState(alice, a));
        assertFalse(token.authorizationState(alice, b));
    }

    function testFuzz_transferWithAuthorization_wrongSignerFails(uint256 pk, uint256 value) public {
        pk = bound(pk, 1, 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364140);
        vm.assume(vm.addr(pk) != alice);
        value = bound(value, 0, 1_000e6);
        bytes memory sig = _transferSig(pk, alice, bob, value, 0, block.timestamp + 1, "x");
        vm.expectRevert(SettlementToken.InvalidSignature.selector);
        token.transferWithAuthorization(alice, bob, value, 0, block.timestamp + 1, "x", sig);
    }
}

/// @dev Random mints, faucet drips, transfers and signed transfers between a few holders.
contract SettlementTokenHandler is Test {
    SettlementToken public immutable token;
    address public immutable owner;
    uint256[4] internal pks = [uint256(0x1001), 0x1002, 0x1003, 0x1004];
    address[4] public holders;
    uint256 public nonceCounter;

    constructor(SettlementToken token_, address owner_) {
        token = token_;
        owner = owner_;
        for (uint256 i; i < 4; ++i) {
            holders[i] = vm.addr(pks[i]);
        }
    }

    function mint(uint256 who, uint256 amount) external {
        amount = bound(amount, 0, 1e15);
        vm.prank(owner);
        token.mint(holders[who % 4], amount);
    }

    function faucet(uint256 who, uint256 amount) external {
        amount = bound(amount, 0, 2e12);
        try token.faucet(holders[who % 4], amount) {} catch {}
    }

    function transfer(uint256 from, uint256 to, uint256 amount) external {
        address f = holders[from % 4];
        amount = bound(amount, 0, token.balanceOf(f));
        vm.prank(f);
        token.transfer(holders[to % 4], amount);
    }

    function transferWithAuthorization(uint256 from, uint256 to, uint256 amount, bool reuse) external {
        uint256 pk = pks[from % 4];
        address f = holders[from % 4];
        address t = holders[to % 4];
        amount = bound(amount, 0, token.balanceOf(f) + 1);
        bytes32 nonce = bytes32(reuse && nonceCounter > 0 ? nonceCounter - 1 : nonceCounter++);
        bytes32 digest = keccak256(
            abi.encodePacked(
                "\x19\x01",
                token.DOMAIN_SEPARATOR(),
                keccak256(
                    abi.encode(
                        token.TRANSFER_WITH_AUTHORIZATION_TYPEHASH(), f, t, amount, 0, block.timestamp + 1, nonce
                    )
                )
            )
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, digest);
        try token.transferWithAuthorization(f, t, amount, 0, block.timestamp + 1, nonce, v, r, s) {} catch {}
    }
}

contract SettlementTokenInvariantTest is StdInvariant, Test {
    SettlementToken internal token;
    SettlementTokenHandler internal handler;

    function setUp() public {
        vm.warp(1_750_000_000);
        address owner = makeAddr("owner");
        token = new SettlementToken(owner, true);
        handler = new SettlementTokenHandler(token, owner);
        targetContract(address(handler));
    }

    /// @dev Only the handler's holders ever receive tokens: their balances add up to the supply.
    function invariant_totalSupplyEqualsSumOfBalances() public view {
        uint256 sum;
        for (uint256 i; i < 4; ++i) {
            sum += token.balanceOf(handler.holders(i));
        }
        assertEq(sum, token.totalSupply());
    }
}
