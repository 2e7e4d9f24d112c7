// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IdentityRegistry} from "../../src/identity/IdentityRegistry.sol";
import {AgentAccount} from "../../src/wallet/AgentAccount.sol";
import {WalletTestBase} from "./utils/WalletTestBase.sol";

/// The account binds itself as its agent's ERC-8004 `agentWallet`: the owner signs the registry's EIP-712 proof
/// through the account's ERC-1271 (AgentAccountMessage wrapping); an agent key cannot.
contract AgentAccountIdentityTest is WalletTestBase {
    IdentityRegistry internal registry;
    uint256 internal agent;
    AgentAccount internal boundAccount;

    function setUp() public override {
        super.setUp();
        registry = new IdentityRegistry();
        vm.prank(owner);
        agent = registry.register();
        boundAccount = AgentAccount(payable(factory.createAccount(owner, agent, guardian, bytes32("id"))));
    }

    function _proof(uint256 pk, uint256 deadline) internal view returns (bytes memory) {
        bytes32 structHash = keccak256(
            abi.encode(registry.AGENT_WALLET_SET_TYPEHASH(), agent, address(boundAccount), owner, deadline)
        );
        (, string memory name, string memory version, uint256 chainId, address verifying,,) = registry.eip712Domain();
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256(bytes(name)),
                keccak256(bytes(version)),
                chainId,
                verifying
            )
        );
        bytes32 digest = keccak256(abi.encodePacked(hex"1901", domain, structHash));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, boundAccount.messageHash(digest));
        return abi.encodePacked(r, s, v);
    }

    function test_bindAgentWallet_ownerProofThroughErc1271() public {
        uint256 deadline = block.timestamp + 5 minutes;
        bytes memory sig = _proof(ownerPk, deadline);
        vm.prank(owner);
        registry.setAgentWallet(agent, address(boundAccount), deadline, sig);
        assertEq(registry.getAgentWallet(agent), address(boundAccount));
    }

    function test_bindAgentWallet_keyCannotSignProof() public {
        uint256 deadline = block.timestamp + 5 minutes;
        bytes memory sig = _proof(keyPk, deadline);
        vm.expectRevert();
        vm.prank(owner);
        registry.setAgentWallet(agent, address(boundAccount), deadline, sig);
    }
}
