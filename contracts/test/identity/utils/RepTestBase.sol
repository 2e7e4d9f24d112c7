// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";

import {IdentityRegistry} from "../../../src/identity/IdentityRegistry.sol";

/// @notice The identity-registry calls the reputation/validation/payment tests make.
interface IRepTestIdentity {
    function register() external returns (uint256 agentId);
    function ownerOf(uint256 agentId) external view returns (address);
    function approve(address to, uint256 agentId) external;
    function setApprovalForAll(address operator, bool approved) external;
    function transferFrom(address from, address to, uint256 agentId) external;
    function getAgentWallet(uint256 agentId) external view returns (address);
}

/// @notice Shared actors and identity setup for the reputation, validation and payment tests.
abstract contract RepTestBase is Test {
    IRepTestIdentity internal identity;

    address internal alice = makeAddr("alice"); // agent owner
    address internal bob = makeAddr("bob"); // client
    address internal carol = makeAddr("carol"); // client
    address internal dave = makeAddr("dave"); // client / validator
    address internal operator = makeAddr("operator");

    /// @dev The real ERC-8004 identity registry. Tests that need arbitrary agent ids or a settable wallet use
    ///      `RepIdentityStandIn` directly.
    function _deployIdentity() internal virtual returns (IRepTestIdentity) {
        return IRepTestIdentity(address(new IdentityRegistry()));
    }

    function _setUpIdentity() internal {
        identity = _deployIdentity();
        // Burn id 0 on registries that start at 0, so that agent ids in tests are non-zero.
        vm.prank(makeAddr("nobody"));
        identity.register();
    }

    function _registerAgent(address owner) internal returns (uint256 agentId) {
        vm.prank(owner);
        agentId = identity.register();
    }
}
