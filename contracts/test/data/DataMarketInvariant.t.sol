// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {console2} from "forge-std/console2.sol";

import {IDataMarket} from "../../src/data/interfaces/IDataMarket.sol";
import {DataHandler} from "./utils/DataHandler.sol";
import {DataTestBase} from "./utils/DataTestBase.sol";

/// forge-config: default.invariant.runs = 64
/// forge-config: default.invariant.depth = 64
/// forge-config: default.invariant.fail-on-revert = true
/// @notice Money conservation of the data market under random listings, consents, revocations, price changes,
///         purchases, model revenue, routing and withdrawals: token balance == totalCredits; credits + withdrawn ==
///         everything paid in; and every account's credit + withdrawals == what an independent model says it is owed.
contract DataMarketInvariantTest is DataTestBase {
    DataHandler internal handler;
    bytes32 internal constant DIGEST = keccak256("weights");

    function setUp() public {
        _deployData();
        address[] memory actors = new address[](4);
        for (uint256 i; i < 3; ++i) {
            actors[i] = contributors[i];
        }
        actors[3] = makeAddr("contributor3");
        // two datasets with overlapping contributors, royalties 10 % and 33.33 %
        uint256 a = _consentedListing();
        IDataMarket.Contributor[] memory cs = new IDataMarket.Contributor[](3);
        cs[0] = IDataMarket.Contributor(actors[3], 3_334, bytes32(0));
        cs[1] = IDataMarket.Contributor(actors[1], 3_333, bytes32(0));
        cs[2] = IDataMarket.Contributor(actors[2], 3_333, bytes32(0));
        IDataMarket.PublishParams memory p = _params(_dataset(seller, bytes32(0)), cs);
        p.terms.royaltyBps = 3_333;
        uint256 b = _publish(p);
        for (uint256 i; i < 3; ++i) {
            vm.prank(cs[i].account);
            market.giveConsent(b, bytes32(0), RESEARCH | TRAINING | COMMERCIAL);
        }
        uint256 la = _buy(a, IDataMarket.LicenceKind.Training, RESEARCH);
        uint256 lb = _buy(b, IDataMarket.LicenceKind.Training, RESEARCH);
        _registerModel(DIGEST, _roots(market.getListing(a).root, market.getListing(b).root), 0);
        _royalty(DIGEST, _ids(la, lb));

        uint16[] memory bps = new uint16[](2);
        bps[0] = ROYALTY;
        bps[1] = 3_333;
        handler = new DataHandler(market, token, prov, seller, buyer, beneficiary, DIGEST, actors, _ids(a, b), bps);
        token.mint(address(handler), 1e40);
        handler.recordSale(la);
        handler.recordSale(lb);
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](9);
        selectors[0] = DataHandler.publish.selector;
        selectors[1] = DataHandler.consent.selector;
        selectors[2] = DataHandler.revoke.selector;
        selectors[3] = DataHandler.setPrice.selector;
        selectors[4] = DataHandler.buy.selector;
        selectors[5] = DataHandler.pay.selector;
        selectors[6] = DataHandler.route.selector;
        selectors[7] = DataHandler.withdraw.selector;
        selectors[8] = DataHandler.buy.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    function invariant_balanceEqualsTotalCredits() public view {
        _assertSolvent();
    }

    function invariant_creditsPlusWithdrawnEqualPaidIn() public view {
        address[] memory accounts = handler.accountList();
        uint256 credits;
        uint256 withdrawn;
        for (uint256 i; i < accounts.length; ++i) {
            credits += market.creditOf(accounts[i]);
            withdrawn += handler.withdrawnBy(accounts[i]);
        }
        assertEq(credits, market.totalCredits(), "sum of credits == totalCredits");
        assertEq(credits + withdrawn, handler.paidIn(), "credits + withdrawn == paid in");
    }

    function invariant_creditsMatchModel() public view {
        address[] memory accounts = handler.accountList();
        for (uint256 i; i < accounts.length; ++i) {
            address a = accounts[i];
            assertEq(market.creditOf(a) + handler.withdrawnBy(a), handler.expectedCredit(a), "credit != model");
        }
    }

    function afterInvariant() public view {
        console2.log("buys", handler.buys(), "refused", handler.refusedBuys());
        console2.log("routes", handler.routes(), "withdrawals", handler.withdrawals());
    }

    /// @dev The handler is not vacuous: a scripted sequence through it buys, routes and withdraws.
    function test_handlerScripted() public {
        handler.publish(12345);
        handler.consent(2, 0, true);
        handler.buy(0, true, false);
        handler.buy(1, false, false);
        handler.pay(1_001);
        handler.route();
        handler.pay(7);
        handler.route();
        handler.withdraw(4, false);
        handler.withdraw(1, true);
        assertGe(handler.buys(), 2);
        assertGe(handler.withdrawals(), 1);
        invariant_creditsPlusWithdrawnEqualPaidIn();
        invariant_creditsMatchModel();
        _assertSolvent();
    }
}
