// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDataMarket, IModelRevenueVault} from "../../src/data/interfaces/IDataMarket.sol";
import {DataTestBase} from "./utils/DataTestBase.sol";

/// @notice The whole flow once: publish, consent, buy, bind, model royalty, revenue routing, withdrawals.
contract DataMarketFlowTest is DataTestBase {
    function setUp() public {
        _deployData();
    }

    function test_flow_endToEnd() public {
        uint256 listingId = _consentedListing();
        bytes32 root = market.getListing(listingId).root;

        uint256 access = _buy(listingId, IDataMarket.LicenceKind.Access, RESEARCH);
        assertEq(licence.ownerOf(access), buyer);
        assertEq(market.creditOf(contributors[0]), 50e6);
        assertEq(market.creditOf(contributors[1]), 30e6);
        assertEq(market.creditOf(contributors[2]), 20e6);

        uint256 training = _buy(listingId, IDataMarket.LicenceKind.Training, RESEARCH);
        uint256 jobId = _offeredJob();
        vm.prank(buyer);
        market.bindTrainingRun(training, jobId, providerId);
        assertEq(market.getLicence(training).jobId, jobId);

        bytes32 digest = keccak256("weights");
        _registerModel(digest, _roots(root), jobId);
        (address vault, uint256 agentId) = _royalty(digest, _ids(training));
        assertEq(identity.ownerOf(agentId), vault);
        assertEq(identity.getAgentWallet(agentId), vault);
        assertEq(IModelRevenueVault(vault).agentId(), agentId);

        _payVault(digest, 1_000e6);
        assertEq(market.routeRevenue(digest), 1_000e6);
        // 10 % to the dataset (100e6), split 50/30/20; the beneficiary 900e6
        assertEq(market.creditOf(beneficiary), 900e6);
        assertEq(market.creditOf(contributors[0]), 50e6 + 150e6 + 50e6);
        assertEq(market.creditOf(contributors[1]), 30e6 + 90e6 + 30e6);
        assertEq(market.creditOf(contributors[2]), 20e6 + 60e6 + 20e6);
        _assertSolvent();

        vm.prank(contributors[0]);
        assertEq(market.withdraw(), 250e6);
        assertEq(token.balanceOf(contributors[0]), 250e6);
        vm.prank(beneficiary);
        market.withdrawTo(stranger);
        assertEq(token.balanceOf(stranger), 900e6);
        _assertSolvent();

        vm.prank(beneficiary);
        IModelRevenueVault(vault).setAgentURI("data:new");
        assertEq(identity.tokenURI(agentId), "data:new");
    }
}
