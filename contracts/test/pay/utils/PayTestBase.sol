// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";

import {SettlementToken} from "../../../src/pay/SettlementToken.sol";
import {X402Settlement} from "../../../src/pay/X402Settlement.sol";
import {RepIdentityStandIn} from "../../identity/utils/RepIdentityStandIn.sol";

/// @notice ERC-1271 account accepting its signer's ECDSA signatures (65 bytes) over the raw hash.
contract MockSigningWallet is IERC1271 {
    address public immutable signer;
    bool public refuse;

    constructor(address signer_) {
        signer = signer_;
    }

    function setRefuse(bool r) external {
        refuse = r;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        if (refuse) return 0xffffffff;
        (address rec, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(hash, signature);
        return err == ECDSA.RecoverError.NoError && rec == signer ? IERC1271.isValidSignature.selector : bytes4(0);
    }
}

/// @notice ERC-1271 account in the style of AgentAccount's agent-key path: the signature is a 20-byte key, valid
///         only for a digest approved beforehand for that key.
contract MockApprovingWallet is IERC1271 {
    mapping(bytes32 digest => address key) public approvedFor;

    function approve(bytes32 digest, address key) external {
        approvedFor[digest] = key;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        if (signature.length != 20) return 0xffffffff;
        address key = address(bytes20(signature));
        return key != address(0) && approvedFor[hash] == key ? IERC1271.isValidSignature.selector : bytes4(0xffffffff);
    }
}

/// @notice ERC-1271 account that burns all the gas it gets.
contract GasBurningWallet {
    function isValidSignature(bytes32, bytes calldata) external pure returns (bytes4) {
        while (true) {}
        return 0;
    }
}

/// @notice Shared deployment and EIP-3009 signing for the token and settlement tests.
abstract contract PayTestBase is Test {
    SettlementToken internal token;
    X402Settlement internal settlement;
    RepIdentityStandIn internal identity;

    address internal tokenOwner = makeAddr("tokenOwner");
    address internal agentOwner = makeAddr("agentOwner");
    address internal payee = makeAddr("payee");
    address internal relayer = makeAddr("relayer");
    uint256 internal agentId;

    function _deployPay() internal {
        vm.warp(1_750_000_000);
        token = new SettlementToken(tokenOwner, true);
        identity = new RepIdentityStandIn();
        settlement = new X402Settlement(address(identity), address(token));
        vm.prank(makeAddr("nobody"));
        identity.register(); // burn id 0
        vm.prank(agentOwner);
        agentId = identity.register();
        identity.setAgentWallet(agentId, payee);
    }

    function _fund(address to, uint256 amount) internal {
        vm.prank(tokenOwner);
        token.mint(to, amount);
    }

    function _authDigest(
        bytes32 typeHash,
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce
    ) internal view returns (bytes32) {
        return keccak256(
            abi.encodePacked(
                "\x19\x01",
                token.DOMAIN_SEPARATOR(),
                keccak256(abi.encode(typeHash, from, to, value, validAfter, validBefore, nonce))
            )
        );
    }

    function _sign(uint256 pk, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, digest);
        return abi.encodePacked(r, s, v);
    }

    /// @dev A TransferWithAuthorization signature by `pk` for `from` (an EOA or a wallet `pk` signs for).
    function _signTransfer(uint256 pk, address from, address to, uint256 value, bytes32 nonce)
        internal
        view
        returns (bytes memory)
    {
        bytes32 th = token.TRANSFER_WITH_AUTHORIZATION_TYPEHASH();
        return _sign(pk, _authDigest(th, from, to, value, 0, block.timestamp + 1 hours, nonce));
    }

    /// @dev A payment from `pk`'s address to the test agent.
    function _payment(uint256 pk, uint256 value, bytes32 nonce) internal view returns (X402Settlement.Payment memory) {
        address from = vm.addr(pk);
        return _paymentFrom(pk, from, payee, value, nonce, agentId);
    }

    function _paymentFrom(uint256 pk, address from, address to, uint256 value, bytes32 nonce, uint256 agent)
        internal
        view
        returns (X402Settlement.Payment memory p)
    {
        p = X402Settlement.Payment({
            from: from,
            to: to,
            value: value,
            validAfter: 0,
            validBefore: block.timestamp + 1 hours,
            nonce: nonce,
            signature: _signTransfer(pk, from, to, value, nonce),
            agentId: agent,
            paymentId: keccak256(abi.encode("payment", from, nonce))
        });
    }
}
