// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {console2} from "forge-std/console2.sol";

import {IDataMarket} from "../../src/data/interfaces/IDataMarket.sol";
import {DataTestBase} from "./utils/DataTestBase.sol";

/// @notice Gas of each step of the data market, as whole transactions, for the README figures.
/// @dev Method (as in ComputeMarketGas): every contract the call touches is made cold with `vm.cool`, one call is made
///      from the sender a real transaction would have, and the callee frame's execution gas is read with
///      `vm.lastCallGas().gasTotalUsed`; the transaction figure adds the intrinsic 21,000 and the calldata cost (4 gas
///      per zero byte, 16 per non-zero byte; EIP-7623's floor applied if it binds). Refunds are not subtracted.
///      Listings have 3 contributors; the model has 2 datasets; a first sale / routing warms the credit slots.
contract DataMarketGasTest is DataTestBase {
    IDataMarket.LicenceKind internal constant ACCESS = IDataMarket.LicenceKind.Access;
    IDataMarket.LicenceKind internal constant TRAIN = IDataMarket.LicenceKind.Training;
    bytes32 internal constant DIGEST = keccak256("weights");

    uint256 internal a;
    uint256 internal b;

    function setUp() public {
        _deployData();
        a = _consentedListing();
        b = _consentedListing();
        _buy(a, ACCESS, RESEARCH); // credits of the contributors exist
    }

    function _measure(string memory label, address sender, bytes memory data) internal returns (uint256 total) {
        vm.cool(address(market));
        vm.cool(market.royaltyExtension());
        vm.cool(address(licence));
        vm.cool(address(token));
        vm.cool(address(identity));
        vm.cool(address(prov));
        vm.cool(address(compute));
        vm.prank(sender);
        (bool ok, bytes memory ret) = address(market).call(data);
        if (!ok) {
            assembly {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        uint256 execution = vm.lastCallGas().gasTotalUsed;
        uint256 calldataGas;
        uint256 tokens;
        for (uint256 i; i < data.length; ++i) {
            if (data[i] == 0) {
                calldataGas += 4;
                tokens += 1;
            } else {
                calldataGas += 16;
                tokens += 4;
            }
        }
        total = 21_000 + calldataGas + execution;
        uint256 floorGas = 21_000 + 10 * tokens;
        if (floorGas > total) total = floorGas;
        console2.log(label);
        console2.log("  execution", execution, "transaction", total);
    }

    function _model() internal returns (uint256 la, uint256 lb) {
        la = _buy(a, TRAIN, RESEARCH);
        lb = _buy(b, TRAIN, RESEARCH);
        _registerModel(DIGEST, _roots(market.getListing(a).root, market.getListing(b).root), 0);
    }

    function test_gas_publish() public {
        IDataMarket.PublishParams memory p = _params(_dataset(seller, bytes32(0)), _contribs(_shares3()));
        uint256 gas = _measure("publish (3 contributors)", seller, abi.encodeCall(market.publish, (p)));
        assertLt(gas, 450_000);
    }

    function test_gas_giveConsent() public {
        uint256 id = _listing();
        uint256 gas = _measure(
            "giveConsent",
            contributors[0],
            abi.encodeCall(market.giveConsent, (id, keccak256("form"), RESEARCH | TRAINING))
        );
        assertLt(gas, 90_000);
    }

    function test_gas_buy() public {
        (uint256 price,, uint32 epoch) = market.quote(a, ACCESS, RESEARCH);
        uint256 gas = _measure(
            "buy (Access, 3 contributors covered)",
            buyer,
            abi.encodeCall(market.buy, (a, ACCESS, RESEARCH, price, epoch))
        );
        assertLt(gas, 250_000);
    }

    function test_gas_bindTrainingRun() public {
        uint256 lic = _buy(a, TRAIN, RESEARCH);
        uint256 jobId = _offeredJob();
        uint256 gas =
            _measure("bindTrainingRun", buyer, abi.encodeCall(market.bindTrainingRun, (lic, jobId, providerId)));
        assertLt(gas, 120_000);
    }

    function test_gas_registerModelRoyalty() public {
        (uint256 la, uint256 lb) = _model();
        uint256 gas = _measure(
            "registerModelRoyalty (2 datasets)",
            buyer,
            abi.encodeCall(market.registerModelRoyalty, (DIGEST, _ids(la, lb), beneficiary, "data:serving-agent"))
        );
        assertLt(gas, 500_000);
    }

    function test_gas_routeRevenue() public {
        (uint256 la, uint256 lb) = _model();
        _royalty(DIGEST, _ids(la, lb));
        _payVault(DIGEST, 1_000e6);
        market.routeRevenue(DIGEST); // the beneficiary's credit exists
        _payVault(DIGEST, 20_000);
        uint256 gas =
            _measure("routeRevenue (2 datasets x 3 contributors)", stranger, abi.encodeCall(market.routeRevenue, (DIGEST)));
        assertLt(gas, 200_000);
    }

    /// @dev A listing of 32 contributors (fresh accounts, no credit yet) with a 1 % royalty; contributor 0 consents.
    function _bigListing(uint256 salt) internal returns (uint256 id) {
        IDataMarket.Contributor[] memory cs = new IDataMarket.Contributor[](32);
        for (uint256 i; i < 32; ++i) {
            cs[i] = IDataMarket.Contributor({
                account: address(uint160(uint256(keccak256(abi.encode("big", salt, i))))),
                shareBps: i == 0 ? 10_000 - 31 * 312 : 312,
                recordsRoot: bytes32(0)
            });
        }
        IDataMarket.PublishParams memory p = _params(_dataset(seller, bytes32(0)), cs);
        p.terms.royaltyBps = 100;
        p.terms.trainingPrice = 0;
        id = _publish(p);
        vm.prank(cs[0].account);
        market.giveConsent(id, bytes32(0), RESEARCH | TRAINING | COMMERCIAL);
    }

    /// @dev The worst case the cap allows: MAX_MODEL_DATASETS listings x 32 contributors, first routing (every
    ///      credit slot goes from zero to non-zero), then a later one.
    function test_gas_routeRevenue_atTheCap() public {
        uint256 k = market.MAX_MODEL_DATASETS();
        bytes32[] memory roots = new bytes32[](k);
        uint256[] memory lics = new uint256[](k);
        for (uint256 j; j < k; ++j) {
            uint256 id = _bigListing(j);
            roots[j] = market.getListing(id).root;
            lics[j] = _buy(id, TRAIN, RESEARCH);
        }
        _registerModel(DIGEST, roots, 0);
        _royalty(DIGEST, lics);
        _payVault(DIGEST, 1_000_000e6);
        uint256 first = _measure(
            "routeRevenue (8 datasets x 32 contributors, first)", stranger, abi.encodeCall(market.routeRevenue, (DIGEST))
        );
        _payVault(DIGEST, 1_000e6);
        uint256 later = _measure(
            "routeRevenue (8 datasets x 32 contributors, later)", stranger, abi.encodeCall(market.routeRevenue, (DIGEST))
        );
        assertLt(first, 8_000_000);
        assertLt(later, 3_500_000);
    }

    function test_gas_withdraw() public {
        uint256 gas = _measure("withdraw", contributors[1], abi.encodeCall(market.withdraw, ()));
        assertLt(gas, 80_000);
    }
}
