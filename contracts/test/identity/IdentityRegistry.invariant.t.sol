// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {StdInvariant} from "forge-std/StdInvariant.sol";

import {IdentityRegistry} from "../../src/identity/IdentityRegistry.sol";
import {IdentityHandler} from "./utils/IdentityHandler.sol";

/// @dev Every handler action must succeed (the handler itself asserts the expected rejections with try/catch), hence
///      fail-on-revert is switched on for each invariant below.
contract IdentityRegistryInvariantTest is StdInvariant, Test {
    IdentityRegistry internal registry;
    IdentityHandler internal handler;

    function setUp() public {
        vm.warp(1_750_000_000);
        registry = new IdentityRegistry();
        handler = new IdentityHandler(registry);

        bytes4[] memory selectors = new bytes4[](11);
        selectors[0] = IdentityHandler.register.selector;
        selectors[1] = IdentityHandler.transfer.selector;
        selectors[2] = IdentityHandler.setAgentWallet.selector;
        selectors[3] = IdentityHandler.setAgentWalletWithForeignProof.selector;
        selectors[4] = IdentityHandler.unsetAgentWallet.selector;
        selectors[5] = IdentityHandler.setMetadata.selector;
        selectors[6] = IdentityHandler.setMetadataReservedKey.selector;
        selectors[7] = IdentityHandler.setAgentURI.selector;
        selectors[8] = IdentityHandler.strangerTriesEverything.selector;
        selectors[9] = IdentityHandler.revokeOperators.selector;
        selectors[10] = IdentityHandler.warp.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_totalAgentsOnlyGrowsAndMatchesMints() public view {
        assertFalse(handler.totalEverDecreased(), "totalAgents decreased");
        assertEq(registry.totalAgents(), handler.ghostTotal(), "totalAgents != number of registrations");
    }

    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_ownerOfAndBalancesConsistent() public view {
        uint256 total = handler.ghostTotal();
        uint256 n = handler.actorCount();
        uint256[] memory counted = new uint256[](n);
        for (uint256 id; id < total; ++id) {
            address owner = registry.ownerOf(id);
            assertEq(owner, handler.ghostOwner(id), "ownerOf != ghost owner");
            for (uint256 a; a < n; ++a) {
                if (handler.actor(a) == owner) counted[a]++;
            }
        }
        uint256 sum;
        for (uint256 a; a < n; ++a) {
            assertEq(registry.balanceOf(handler.actor(a)), counted[a], "balanceOf != owned agents");
            sum += counted[a];
        }
        assertEq(sum, total, "agents owned by someone outside the cast");
    }

    /// The agentWallet is always either the zero address, the owner-default set at registration (never carried over
    /// a transfer), or a wallet that proved itself for the CURRENT owner during the CURRENT ownership period.
    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_agentWalletIsOwnerDefaultOrProvenForCurrentOwner() public view {
        uint256 total = handler.ghostTotal();
        for (uint256 id; id < total; ++id) {
            address wallet = registry.getAgentWallet(id);
            address owner = registry.ownerOf(id);
            assertEq(wallet, handler.ghostWallet(id), "getAgentWallet != ghost");
            if (wallet != address(0)) {
                bool ownerDefault =
                    handler.walletIsRegistrationDefault(id) && wallet == owner && handler.ownerPeriod(id) == 0;
                bool proven = handler.provenWallet(id) == wallet && handler.provenForOwner(id) == owner
                    && handler.provenInPeriod(id) == handler.ownerPeriod(id);
                assertTrue(ownerDefault || proven, "agentWallet neither owner-default nor proven for this owner");
            }
            bytes memory expected = wallet == address(0) ? bytes("") : abi.encodePacked(wallet);
            assertEq(registry.getMetadata(id, "agentWallet"), expected, "agentWallet metadata mismatch");
        }
    }

    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_uriAndMetadataMatchGhost() public view {
        uint256 total = handler.ghostTotal();
        for (uint256 id; id < total; ++id) {
            assertEq(registry.tokenURI(id), handler.ghostURI(id), "tokenURI mismatch");
            (string memory key, bytes memory value) = handler.lastMetadata(id);
            if (bytes(key).length != 0) assertEq(registry.getMetadata(id, key), value, "metadata mismatch");
        }
    }

    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_unknownIdsStayUnknown() public view {
        uint256 total = handler.ghostTotal();
        assertEq(registry.getAgentWallet(total), address(0));
        assertEq(registry.getMetadata(total, "agentWallet"), bytes(""));
        (uint256[] memory ids, uint256 next) = registry.agentsOf(handler.actor(0), total, 10);
        assertEq(ids.length, 0);
        assertEq(next, total);
    }
}
